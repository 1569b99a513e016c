-- Gives up a claim only if it is still the caller's: one that lapsed and was
-- taken by another process stays theirs.
-- KEYS: claim; ARGV: token
-- Returns 1 released, 0 not ours (or gone).
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
