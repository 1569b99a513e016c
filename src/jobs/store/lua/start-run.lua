-- Creates a run and takes its cluster's lock in one step. The lock is held
-- while the holder run is not terminal, whatever its TTL says: a lapsed lock
-- (every process was down) is re-asserted for a live run found in the active
-- set. A holder that is terminal or has no record is dead: its lock is
-- recovered (audited). Returns {'LOCKED', holder, requestedBy} or
-- {'OK', recoveredFrom, recoveredState}. The runs index is trimmed with the
-- runs (issue 12 point 11): each start drops up to 20 of its oldest ids whose
-- record has expired (and `list` drops those it meets), so the index does not
-- outgrow what is kept for longer than a retention time.
-- The new run's events go out in the same step when it is created (ARGV[12] channel, ARGV[13]
-- message; none when empty), as cas-run.lua does for a transition: before anything a later
-- command on this connection does (the run's first step job), and never for a refused start.
-- KEYS: run, runAudit, globalAudit, active, lock, runs
-- ARGV: runId, stepCount, state, cluster, lockTtlMs, requestedAtMs, auditJson, at, maxlen, runPrefix, requestedBy,
--       channel, message, <field, value pairs of the record> (run-hash.ts)
-- Scripts reach keys derived from stored values (the lock holder's run, the
-- active runs' locks): fine on one Redis or Sentinel, not on Redis Cluster.
--#include terminal.lua
--#include add-audit.lua
local function state_of(id) return redis.call('HGET', ARGV[10] .. id, 'state') end
local holder = redis.call('GET', KEYS[5])
if not holder then
  local active = redis.call('HGETALL', KEYS[4])
  for i = 1, #active, 2 do
    local st = state_of(active[i])
    if active[i + 1] == ARGV[4] and st and not terminal(st) then
      holder = active[i]
      redis.call('SET', KEYS[5], holder, 'PX', ARGV[5])
      break
    end
  end
end
local recovered, recoveredState = '', ''
if holder then
  local st = state_of(holder)
  if st and not terminal(st) then
    return {'LOCKED', holder, redis.call('HGET', ARGV[10] .. holder, 'requestedBy') or ''}
  end
  recovered, recoveredState = holder, (st or 'missing')
  redis.call('HDEL', KEYS[4], holder)
end
redis.call('SET', KEYS[5], ARGV[1], 'PX', ARGV[5])
redis.call('HSET', KEYS[1], 'v', '1', 'n', ARGV[2], 'state', ARGV[3], 'cluster', ARGV[4], 'requestedBy', ARGV[11], unpack(ARGV, 14))
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[1])
-- Oldest first, up to the first finished run still kept: a finished run's record expires a
-- retention time after it ended, and runs end about in the order they start, so the ones after
-- it are kept too. A run not finished (no TTL: paused, or waiting on a gate for weeks) does not
-- stop the scan, or the index would grow behind it for as long as it lives. In the steady state
-- that is one PTTL a start, not twenty EXISTS (issue 13 point 4).
for _, old in ipairs(redis.call('ZRANGE', KEYS[6], 0, 19)) do
  local ttl = redis.call('PTTL', ARGV[10] .. old)
  if ttl == -2 then redis.call('ZREM', KEYS[6], old)
  elseif ttl >= 0 then break end
end
local entries = cjson.decode(ARGV[7])
if recovered ~= '' then
  table.insert(entries, 2, {'type', 'lock.recovered', 'run', ARGV[1], 'actor', 'engine', 'at', ARGV[8],
    'data', cjson.encode({cluster = ARGV[4], from = recovered, holderState = recoveredState})})
end
add_audit(KEYS[2], KEYS[3], ARGV[9], entries)
if ARGV[13] ~= '' then redis.call('PUBLISH', ARGV[12], ARGV[13]) end
return {'OK', recovered, recoveredState}
