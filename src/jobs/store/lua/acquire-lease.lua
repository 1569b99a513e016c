-- A counting semaphore with leases (ZSET member -> expiry ms): a crashed
-- holder's lease lapses instead of blocking the host forever.
-- Time is Redis's own (TIME), so clock skew between workers does not matter.
-- KEYS: semaphore; ARGV: leaseId, limit, leaseMs
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
