-- The bot's bookkeeping on a run (where its Slack message is) merged into the
-- run's hash beside the versioned record, without a new version: a worker's
-- next compare-and-set in the same run then does not conflict with it and
-- read the run again (one conflict per run before). Transitions never write
-- this field (run-hash.ts SIDE_FIELDS), so a worker holding an older copy
-- cannot put an older value back.
-- A record still in the legacy layout (one `json` field) answers -2: the
-- caller writes it as a transition, which moves it to the split layout.
-- KEYS: run; ARGV: patch (a JSON object of strings)
-- Returns 1 merged, -1 no such run, -2 legacy layout.
local stored = redis.call('HMGET', KEYS[1], 'v', 'json', 'f:notifierState')
if not stored[1] then return -1 end
if stored[2] then return -2 end
local state = {}
if stored[3] then state = cjson.decode(stored[3]) end
for key, value in pairs(cjson.decode(ARGV[1])) do state[key] = value end
redis.call('HSET', KEYS[1], 'f:notifierState', cjson.encode(state))
return 1
