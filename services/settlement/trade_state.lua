-- trade_state.lua: move one trade to a new status at most once, and append its account records with it.
-- KEYS[1]: the trade hash; KEYS[2]: the pending sorted set; KEYS[3..n]: account lists to LPUSH to.
-- ARGV[1]: target status; ARGV[2]: trade id; ARGV[3]: fields as a flat JSON object of strings;
-- ARGV[4..]: one value per list key, in order.
-- Returns 1 when applied, 0 when the trade already has that status (or is already pending), -1 when the
-- trade is already in another final status (SETTLED and FAILED never change).

local current = redis.call('HGET', KEYS[1], 'status')
local target = ARGV[1]
if current == target then
  return 0
end
if current == 'SETTLED' or current == 'FAILED' then
  return -1
end
local t = redis.call('TIME')
local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local flat = {'status', target, 'updated_at', now}
for field, value in pairs(cjson.decode(ARGV[3])) do
  flat[#flat + 1] = field
  flat[#flat + 1] = value
end
redis.call('HSET', KEYS[1], unpack(flat))
if target == 'PENDING_BRIDGE' then
  redis.call('HSET', KEYS[1], 'pending_since', now)
  redis.call('ZADD', KEYS[2], now, ARGV[2])
else
  redis.call('HSET', KEYS[1], 'finished_at', now)
  redis.call('ZREM', KEYS[2], ARGV[2])
end
if target == 'SETTLED' then
  redis.call('HINCRBY', KEYS[1], 'settled_count', 1)
end
for i = 3, #KEYS do
  redis.call('LPUSH', KEYS[i], ARGV[i + 1])
end
return 1
