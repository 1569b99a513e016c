-- Included by the scripts that tell a live run from a finished one.
local function terminal(st) return st == 'succeeded' or st == 'failed' or st == 'aborted' end
