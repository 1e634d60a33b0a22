-- settle.lua: a run of ledger entries, each with the move of its trade to a new status when it has one, in one
-- call. Loaded by services/settlement/trade_state.py behind `local function ledger_post(ARGV) <shared/ledger/post.lua>
-- end` and `local function trade_state(KEYS, ARGV) <trade_state.lua> end`, so each entry and each status change runs
-- here exactly as on its own: the entry at most once per entry id, the status change at most once per status. The
-- entries run in order, each seeing what the ones before it wrote (two fills of one order, then its release).
--
-- KEYS: every key the calls touch (declared for Redis Cluster; see docs/architecture.md on hash tags).
-- ARGV: one group per entry: the entry's JSON for post.lua, then k and k of trade_state.lua's KEYS, then m and m
-- of its ARGV (k = 0, m = 0 for an entry that moves no trade: settlement posts every entry through this script, as
-- a pipeline of one script is loaded again and rerun whole on NOSCRIPT where a pipeline of two could have run its
-- later entries without its earlier).
-- Returns one reply per entry: post.lua's {result_json, duplicate} when no trade moves or the ledger refused the
-- entry, else the same with trade_state.lua's answer appended (1 applied, 0 already there, -1 already final in
-- another status). A repeated entry still moves the trade: a state change a crash left behind is made then.

local replies = {}
local i = 1
while i <= #ARGV do
  local posted = ledger_post({ARGV[i]})
  local k = tonumber(ARGV[i + 1])
  local m = tonumber(ARGV[i + 2 + k])
  if k > 0 and cjson.decode(posted[1]).ok then
    local keys, args = {}, {}
    for j = 1, k do
      keys[j] = ARGV[i + 1 + j]
    end
    for j = 1, m do
      args[j] = ARGV[i + 2 + k + j]
    end
    posted[3] = trade_state(keys, args)
  end
  replies[#replies + 1] = posted
  i = i + 3 + k + m
end
return replies
