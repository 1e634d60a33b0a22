-- settle.lua: a trade's ledger entry and its move to a new status in one atomic step. Loaded by
-- services/settlement/trade_state.py behind `local function ledger_post(ARGV) <shared/ledger/post.lua> end` and
-- `local function trade_state(KEYS, ARGV) <trade_state.lua> end`, so both run here exactly as on their own:
-- the entry at most once per entry id, the status change at most once per status.
--
-- KEYS[1..n]: the entry's keys (declared for Redis Cluster), then trade_state.lua's KEYS.
-- ARGV[1]: the entry for post.lua; ARGV[2]: n; ARGV[3..]: trade_state.lua's ARGV, or nothing for an entry that
-- moves no trade (settlement posts every entry through this script: a pipeline of one script is loaded again
-- and rerun whole on NOSCRIPT, where a pipeline of two could have run its later entries without its earlier).
-- Returns post.lua's {result_json, duplicate} when no trade moves or the ledger refused the entry, else the
-- same with trade_state.lua's answer appended (1 applied, 0 already there, -1 already final in another
-- status). A repeated entry still moves the trade: a state change a crash left behind is made then.

local posted = ledger_post({ARGV[1]})
if #ARGV < 3 or not cjson.decode(posted[1]).ok then
  return posted
end
local n = tonumber(ARGV[2])
local keys, args = {}, {}
for i = n + 1, #KEYS do
  keys[#keys + 1] = KEYS[i]
end
for i = 3, #ARGV do
  args[#args + 1] = ARGV[i]
end
posted[3] = trade_state(keys, args)
return posted
