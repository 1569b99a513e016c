-- Included by the scripts that audit a transition: each entry goes to the
-- run's stream and to the global one (trimmed to about `maxlen`).
local function add_audit(runAudit, globalAudit, maxlen, entries)
  for _, e in ipairs(entries) do
    redis.call('XADD', runAudit, '*', unpack(e))
    redis.call('XADD', globalAudit, 'MAXLEN', '~', maxlen, '*', unpack(e))
  end
end