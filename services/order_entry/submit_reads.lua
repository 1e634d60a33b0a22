-- submit_reads.lua: a new order's first round trip: the API key's check and rate limit, then, for a trader or an
-- operator, every read the order desk's checks need. Loaded by services/order_entry/redis_order_store.py behind
-- `local function check_key(KEYS, ARGV) <principals.py's key check> end`.
--
-- KEYS[1] the key's hash (auth:key:{sha256}); KEYS[2..8] the client order id claim, the instruments hash, the
-- instrument's phase, reference price and session clip, the account's holding limits, the instrument's order
-- sequence; KEYS[9] the business clock; KEYS[10..11] (a buy) the purchase limits hash and the period's purchases.
-- ARGV: default rate, default burst, grants key prefix, account, instrument.
-- Returns {} for an unknown key; {key_id, principal, role, wait_ms} when the key is rate limited or its role may
-- not place orders; else {key_id, principal, role, 0, granted, claim, instrument, phase, reference, clip,
-- holding limits (flat), sequence, clock[, purchase limit, purchased]} (false for a missing value).

local who = check_key({KEYS[1]}, {ARGV[1], ARGV[2]})
if #who == 0 or who[4] ~= 0 or (who[3] ~= 'trader' and who[3] ~= 'operator') then
  return who
end
who[5] = redis.call('SISMEMBER', ARGV[3] .. who[2], ARGV[4])
who[6] = redis.call('GET', KEYS[2])
who[7] = redis.call('HGET', KEYS[3], ARGV[5])
who[8] = redis.call('GET', KEYS[4])
who[9] = redis.call('GET', KEYS[5])
who[10] = redis.call('GET', KEYS[6])
who[11] = redis.call('HGETALL', KEYS[7])
who[12] = redis.call('INCR', KEYS[8])
who[13] = redis.call('GET', KEYS[9])
if KEYS[10] then
  who[14] = redis.call('HGET', KEYS[10], ARGV[4])
  who[15] = redis.call('GET', KEYS[11])
end
return who
