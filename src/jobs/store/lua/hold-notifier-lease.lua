-- Take-if-free-or-mine with a TTL, in one step: two bots never both hold one
-- run. A run whose final message is written is marked done by its writer:
-- the writer keeps holding it for its last replies, the others stand down.
--
-- The key outlives each hold: its value is '<deadline ms> <owner>', and a
-- hold whose deadline passed is free to take. So the key's absence means
-- that no bot has held this run's lease yet, and so that none can have
-- posted its message: the answer is then 'first', and the bot posts without
-- first looking in the channel for a message of a bot that died (one Slack
-- call less per run; conversations.history is a Tier 3 method).
-- KEYS: lease; ARGV: owner, ttlMs, donePrefix, keepMs (the key's own TTL)
-- Returns 'first', 'held', 'busy' or 'done'.
local current = redis.call('GET', KEYS[1])
if current == ARGV[3] .. ARGV[1] then return 'held' end
if current and string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then return 'done' end
-- Redis's clock, not the callers': bots on several machines compare one deadline.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if current then
  local space = string.find(current, ' ', 1, true)
  -- A value without a deadline (an older bot's) is held until its key expires.
  local deadline = space and tonumber(string.sub(current, 1, space - 1)) or now + 1
  local holder = space and string.sub(current, space + 1) or current
  if holder ~= ARGV[1] and deadline > now then return 'busy' end
end
redis.call('SET', KEYS[1], tostring(now + tonumber(ARGV[2])) .. ' ' .. ARGV[1], 'PX', ARGV[4])
if current then return 'held' end
return 'first'
