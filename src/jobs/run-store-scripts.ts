import { RedisScript } from "./redis-script";

// Scripts reach keys derived from stored values (the lock holder's run, the
// active runs' locks): fine on one Redis or Sentinel, not on Redis Cluster.

const TERMINAL = `local function terminal(st) return st == 'succeeded' or st == 'failed' or st == 'aborted' end`;

const ADD_AUDIT = `
local function add_audit(runAudit, globalAudit, maxlen, entries)
  for _, e in ipairs(entries) do
    redis.call('XADD', runAudit, '*', unpack(e))
    redis.call('XADD', globalAudit, 'MAXLEN', '~', maxlen, '*', unpack(e))
  end
end`;

/**
 * Compare-and-set of a run record: applies only when the stored version is
 * the one the transition was computed from, so two racing callers can never
 * both apply. A terminal state drops the run from the active set and releases
 * its cluster lock in the same step.
 * KEYS: run, runAudit, globalAudit, active, lock
 * A finished run's record and audit stream expire after `retainMs` (0: kept).
 * ARGV: expectedVersion, newVersion, json, state, terminal(0/1), runId, auditJson, at, maxlen, cluster, retainMs
 */
export const casRunScript = new RedisScript(`
${ADD_AUDIT}
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
return 1
`);

/**
 * Creates a run and takes its cluster's lock in one step. The lock is held
 * while the holder run is not terminal, whatever its TTL says: a lapsed lock
 * (every process was down) is re-asserted for a live run found in the active
 * set. A holder that is terminal or has no record is dead: its lock is
 * recovered (audited). Returns {'LOCKED', holder, requestedBy} or
 * {'OK', recoveredFrom, recoveredState}. The runs index is trimmed with the
 * runs (issue 12 point 11): each start drops up to 20 of its oldest ids whose
 * record has expired, so the index never outgrows what is kept.
 * KEYS: run, runAudit, globalAudit, active, lock, runs
 * ARGV: runId, json, state, cluster, lockTtlMs, requestedAtMs, auditJson, at, maxlen, runPrefix, requestedBy
 */
export const startRunScript = new RedisScript(`
${TERMINAL}
${ADD_AUDIT}
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
redis.call('HSET', KEYS[1], 'v', '1', 'json', ARGV[2], 'state', ARGV[3], 'cluster', ARGV[4], 'requestedBy', ARGV[11])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[1])
for _, old in ipairs(redis.call('ZRANGE', KEYS[6], 0, 19)) do
  if redis.call('EXISTS', ARGV[10] .. old) == 0 then redis.call('ZREM', KEYS[6], old) end
end
local entries = cjson.decode(ARGV[7])
if recovered ~= '' then
  table.insert(entries, 2, {'type', 'lock.recovered', 'run', ARGV[1], 'actor', 'engine', 'at', ARGV[8],
    'data', cjson.encode({cluster = ARGV[4], from = recovered, holderState = recoveredState})})
end
add_audit(KEYS[2], KEYS[3], ARGV[9], entries)
return {'OK', recovered, recoveredState}
`);

/**
 * Heartbeat: renews the lock of every live run (paused ones included) and
 * forgets active entries whose run ended or vanished.
 * KEYS: active; ARGV: runPrefix, lockPrefix, ttlMs
 */
export const renewLocksScript = new RedisScript(`
${TERMINAL}
local active = redis.call('HGETALL', KEYS[1])
local renewed = 0
for i = 1, #active, 2 do
  local id, cluster = active[i], active[i + 1]
  local st = redis.call('HGET', ARGV[1] .. id, 'state')
  if st and not terminal(st) then
    local lock = ARGV[2] .. cluster
    local h = redis.call('GET', lock)
    if h == id then
      redis.call('PEXPIRE', lock, ARGV[3])
      renewed = renewed + 1
    elseif not h then
      redis.call('SET', lock, id, 'PX', ARGV[3])
      renewed = renewed + 1
    end
  else
    redis.call('HDEL', KEYS[1], id)
  end
end
return renewed
`);

/**
 * A counting semaphore with leases (ZSET member -> expiry ms): a crashed
 * holder's lease lapses instead of blocking the host forever.
 * Time is Redis's own (TIME), so clock skew between workers does not matter.
 * KEYS: semaphore; ARGV: leaseId, limit, leaseMs
 */
export const acquireLeaseScript = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return 1
end
return 0
`);
