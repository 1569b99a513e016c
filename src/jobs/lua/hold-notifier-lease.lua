-- Take-if-free-or-mine with a TTL, in one step: two bots never both hold one
-- run. A run whose final message is written is marked done by its writer:
-- the writer keeps holding it for its last replies, the others stand down.
-- KEYS: lease; ARGV: owner, ttlMs, donePrefix
-- Returns 'held', 'busy' or 'done'.
local current = redis.call('GET', KEYS[1])
if current == ARGV[3] .. ARGV[1] then return 'held' end
if current and string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then return 'done' end
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'held'
end
return 'busy'
