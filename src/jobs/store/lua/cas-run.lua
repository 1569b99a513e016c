-- Compare-and-set of a run record: applies only when the stored version is
-- the one the transition was computed from, so two racing callers can never
-- both apply. A terminal state drops the run from the active set and releases
-- its cluster lock in the same step.
-- The record is a hash of fields (`f:<name>`) and steps (`s:<index>`), and a
-- transition writes only those it changed (issue 13 point 1; run-hash.ts).
-- A partial write on a record still in the legacy layout (one `json` field)
-- is refused with -2: the caller writes it whole, which drops `json`.
-- KEYS: run, runAudit, globalAudit, active, lock, claim ('' for none)
-- A finished run's record and audit stream expire after `retainMs` (0: kept).
-- The transition's events go out in the same step (ARGV[11] channel, ARGV[12]
-- message; none when empty): one command and one write per transition, and
-- subscribers never hear of a write that did not happen.
-- A partial write also names the write (`w`) it was computed from (ARGV[15]): the same version made
-- by another write after a lost one is refused as a conflict (RunStore.writeIds). Every write
-- stores its own id (ARGV[16]).
-- A write that applies also gives up the caller's claim (KEYS[6], ARGV[17] its token; '' for none), if it is
-- still theirs: a worker's lease on the step whose result this is (step-lease.ts), gone exactly when the
-- result is there, with no command of its own (issue 13).
-- ARGV: expectedVersion, newVersion, state, terminal(0/1), runId, auditJson, at, maxlen, cluster, retainMs,
--       channel, message, full(0/1), stepCount, expectedWriteId ('' unchecked), writeId, claimToken,
--       unsetCount, <unsetCount field names>, <field, value pairs>
--#include add-audit.lua
local stored = redis.call('HMGET', KEYS[1], 'v', 'json', 'w')
local v = stored[1]
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
if ARGV[15] ~= '' and stored[3] ~= ARGV[15] then return 0 end
local full = ARGV[13] == '1'
if not full and stored[2] then return -2 end
local steps = tonumber(ARGV[14])
local unsetCount = tonumber(ARGV[18])
if full then
  -- The bot's message ref lives beside the record (set-notifier-state.lua) and no transition
  -- writes it: a legacy record's own copy is carried over before `json` goes.
  if stored[2] then
    local side = cjson.decode(stored[2]).notifierState
    if type(side) == 'table' then redis.call('HSET', KEYS[1], 'f:notifierState', cjson.encode(side)) end
  end
  redis.call('HDEL', KEYS[1], 'json')
  local before = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
  for i = steps, before - 1 do redis.call('HDEL', KEYS[1], 's:' .. i) end
end
for i = 19, 18 + unsetCount do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'state', ARGV[3], 'n', ARGV[14], 'w', ARGV[16], unpack(ARGV, 19 + unsetCount))
if ARGV[17] ~= '' and redis.call('GET', KEYS[6]) == ARGV[17] then redis.call('DEL', KEYS[6]) end
local entries = cjson.decode(ARGV[6])
if ARGV[4] == '1' then
  redis.call('HDEL', KEYS[4], ARGV[5])
  if redis.call('GET', KEYS[5]) == ARGV[5] then
    redis.call('DEL', KEYS[5])
    table.insert(entries, {'type', 'lock.released', 'run', ARGV[5], 'actor', 'engine', 'at', ARGV[7], 'data', cjson.encode({cluster = ARGV[9]})})
  end
end
add_audit(KEYS[2], KEYS[3], ARGV[8], entries)
if ARGV[4] == '1' and tonumber(ARGV[10]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[10])
  redis.call('PEXPIRE', KEYS[2], ARGV[10])
end
if ARGV[12] ~= '' then redis.call('PUBLISH', ARGV[11], ARGV[12]) end
return 1
