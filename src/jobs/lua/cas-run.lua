-- Compare-and-set of a run record: applies only when the stored version is
-- the one the transition was computed from, so two racing callers can never
-- both apply. A terminal state drops the run from the active set and releases
-- its cluster lock in the same step.
-- KEYS: run, runAudit, globalAudit, active, lock
-- A finished run's record and audit stream expire after `retainMs` (0: kept).
-- The transition's events go out in the same step (ARGV[12] channel, ARGV[13]
-- message; none when empty): one command and one write per transition, and
-- subscribers never hear of a write that did not happen.
-- ARGV: expectedVersion, newVersion, json, state, terminal(0/1), runId, auditJson, at, maxlen, cluster, retainMs, channel, message
--#include add-audit.lua
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'json', ARGV[3], 'state', ARGV[4])
local entries = cjson.decode(ARGV[7])
if ARGV[5] == '1' then
  redis.call('HDEL', KEYS[4], ARGV[6])
  if redis.call('GET', KEYS[5]) == ARGV[6] then
    redis.call('DEL', KEYS[5])
    table.insert(entries, {'type', 'lock.released', 'run', ARGV[6], 'actor', 'engine', 'at', ARGV[8], 'data', cjson.encode({cluster = ARGV[10]})})
  end
end
add_audit(KEYS[2], KEYS[3], ARGV[9], entries)
if ARGV[5] == '1' and tonumber(ARGV[11]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[11])
  redis.call('PEXPIRE', KEYS[2], ARGV[11])
end
if ARGV[13] ~= nil and ARGV[13] ~= '' then redis.call('PUBLISH', ARGV[12], ARGV[13]) end
return 1
