-- Heartbeat: renews the lock of every live run (paused ones included) and
-- forgets active entries whose run ended or vanished.
-- KEYS: active; ARGV: runPrefix, lockPrefix, ttlMs
-- Scripts reach keys derived from stored values (the lock holder's run, the
-- active runs' locks): fine on one Redis or Sentinel, not on Redis Cluster.
--#include terminal.lua
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
