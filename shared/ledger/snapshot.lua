-- snapshot.lua: one consistent picture of the ledger for the audit, taken atomically.
-- KEYS[1] the account set, KEYS[2] the registry set.
-- ARGV: account key prefix, balance key prefix, reservation pattern, hold pattern, journal key prefix, pattern of
-- the counter hashes records may hold part of (counter_key, see post.lua).
-- Returns JSON: accounts {id: {record, balances}}, records {key: fields}, registries, journal_last {registry: id},
-- counters {key: fields}.

local function map(flat)
  local m = {}
  for i = 1, #flat, 2 do
    m[flat[i]] = flat[i + 1]
  end
  return m
end

local accounts = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  accounts[id] = {record = map(redis.call('HGETALL', ARGV[1] .. id)),
                  balances = map(redis.call('HGETALL', ARGV[2] .. id))}
end

local records = {}
for _, pattern in ipairs({ARGV[3], ARGV[4]}) do
  for _, key in ipairs(redis.call('KEYS', pattern)) do
    records[key] = map(redis.call('HGETALL', key))
  end
end

local registries = redis.call('SMEMBERS', KEYS[2])
local journal_last = {}
for _, registry in ipairs(registries) do
  local last = redis.call('XREVRANGE', ARGV[5] .. registry, '+', '-', 'COUNT', 1)
  journal_last[registry] = last[1] and last[1][1] or '0-0'
end

local counters = {}
for _, key in ipairs(redis.call('KEYS', ARGV[6])) do
  counters[key] = map(redis.call('HGETALL', key))
end

return cjson.encode({accounts = accounts, records = records, registries = registries, journal_last = journal_last,
                     counters = counters})
