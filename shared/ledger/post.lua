-- post.lua: validate and apply one ledger entry, all or nothing, at most once per entry id.
-- KEYS: every key the entry touches (declared for Redis Cluster; all share the {L} hash tag).
-- ARGV[1]: the entry as JSON, built by shared/ledger/encoding.py (amounts are decimal strings).
-- Returns {result_json, duplicate}: the stored first result of the entry id, and 1 when this call repeated it.
--
-- A record may hold part of some counters (a cross-border order's quota reservation): fields `counter_key`,
-- `counter_fields` (newline-separated fields of that hash) and `counter_held`. Whenever the entry deletes the
-- record (a drain, or an adjust down to zero with delete_at_zero), what it still holds is subtracted from each
-- of those counters, so the counters always equal what the live records hold.

local req = cjson.decode(ARGV[1])
local MAX = 9007199254740991 -- 2^53 - 1: the largest integer a Lua number holds exactly

local stored = redis.call('GET', req.entry_key)
if stored then
  return {stored, 1}
end

local function refuse(code, message, details)
  local result = cjson.encode({ok = false, entry_id = req.entry_id, kind = req.kind, code = code,
                               message = message, details = details or {}})
  redis.call('SET', req.entry_key, result)
  return {result, 0}
end

local function int(text)
  if type(text) ~= 'string' or #text > 17 or not string.match(text, '^-?%d+$') then
    return nil
  end
  local n = tonumber(text)
  if n > MAX or n < -MAX then
    return nil
  end
  return n
end

local function fmt(n)
  return string.format('%d', n)
end

local function is_currency(asset)
  return string.sub(asset, 1, 2) == 'C:'
end

-- 1. business amounts, then amounts and buckets of the given postings
for i, text in ipairs(req.amounts) do
  local amount = int(text)
  if amount == nil or amount <= 0 then
    return refuse('INVALID_AMOUNT', 'an amount must be a positive integer', {amount = tostring(text)})
  end
end
local postings = {}
for i, p in ipairs(req.postings) do
  local delta = int(p.delta)
  if delta == nil or delta == 0 then
    return refuse('INVALID_AMOUNT', 'a posting amount must be a non-zero integer',
                  {posting = i - 1, account = p.account, asset = p.asset, delta = tostring(p.delta)})
  end
  if p.bucket ~= 'a' and p.bucket ~= 'r' then
    return refuse('INVALID_BUCKET', 'a posting bucket is a (available) or r (reserved)', {posting = i - 1})
  end
  postings[#postings + 1] = {account = p.account, asset = p.asset, bucket = p.bucket, delta = delta}
end

-- 2. reservation and hold records; a drain turns what remains into postings reserved -> available
local records = {}
local releases = {}
local function release_counters(rec)
  local held = int(rec.fields.counter_held or '0') or 0
  if held > 0 and rec.fields.counter_key then
    for field in string.gmatch(rec.fields.counter_fields or '', '[^\n]+') do
      releases[#releases + 1] = {key = rec.fields.counter_key, field = field, delta = fmt(-held)}
    end
  end
end
local function load(key)
  local rec = records[key]
  if rec then
    return rec
  end
  local flat = redis.call('HGETALL', key)
  rec = {fields = {}, exists = #flat > 0, dirty = false, deleted = false}
  for i = 1, #flat, 2 do
    rec.fields[flat[i]] = flat[i + 1]
  end
  records[key] = rec
  return rec
end

local function mismatch(key, rec, expect)
  for field, want in pairs(expect or {}) do
    local have = rec.fields[field]
    if have ~= want then
      local code = 'RESERVATION_MISMATCH'
      if field == 'asset' and have and is_currency(have) and is_currency(want) then
        code = 'CURRENCY_MISMATCH'
      end
      return refuse(code, 'the record does not match the entry',
                    {record = key, field = field, expected = want, found = have or ''})
    end
  end
end

for i, op in ipairs(req.records) do
  local rec = load(op.key)
  if op.op == 'create' then
    if rec.exists then
      return refuse('RESERVATION_MISMATCH', 'the record already exists', {record = op.key})
    end
    local remaining = int(op.fields.remaining)
    if remaining == nil or remaining < 0 then
      return refuse('INVALID_AMOUNT', 'a record starts with a non-negative integer remaining', {record = op.key})
    end
    rec.fields, rec.exists, rec.dirty, rec.deleted = op.fields, true, true, false
  elseif not rec.exists then
    if not (op.op == 'drain' and op.missing_ok) then
      return refuse('RESERVATION_MISMATCH', 'no such reservation or hold', {record = op.key})
    end
  else
    local refused = mismatch(op.key, rec, op.expect)
    if refused then
      return refused
    end
    if op.op == 'adjust' then
      local delta = int(op.delta)
      if delta == nil or delta == 0 then
        return refuse('INVALID_AMOUNT', 'a record adjustment must be a non-zero integer', {record = op.key})
      end
      local current = int(rec.fields[op.field] or '0') or 0
      local after = current + delta
      if after < 0 then
        return refuse('INSUFFICIENT_RESERVED', 'the record holds less than the entry takes',
                      {record = op.key, field = op.field, remaining = fmt(current), delta = fmt(delta)})
      end
      rec.fields[op.field], rec.dirty = fmt(after), true
      if after == 0 and op.delete_at_zero then
        release_counters(rec)
        rec.exists, rec.deleted = false, true
      end
    elseif op.op == 'drain' then
      local remaining = int(rec.fields.remaining or '0') or 0
      if remaining > 0 then
        local account, asset = rec.fields.account, rec.fields.asset
        postings[#postings + 1] = {account = account, asset = asset, bucket = 'r', delta = -remaining}
        postings[#postings + 1] = {account = account, asset = asset, bucket = 'a', delta = remaining}
      end
      release_counters(rec)
      rec.exists, rec.deleted, rec.dirty = false, true, true
    elseif op.op == 'set' then
      for field, value in pairs(op.fields) do
        if field == 'account' or field == 'asset' or field == 'remaining' or type(value) ~= 'string' then
          return refuse('INVALID_ENTRY', 'a record set changes descriptive fields only', {record = op.key, field = field})
        end
        rec.fields[field] = value
      end
      rec.dirty = true
    else
      return refuse('INVALID_ENTRY', 'unknown record operation', {record = op.key, op = tostring(op.op)})
    end
  end
end

-- 3. accounts exist, assets are known, every asset balances (double entry)
local accounts = {}
local sums, sum_order = {}, {}
local changes, change_order = {}, {}
for i, p in ipairs(postings) do
  local info = accounts[p.account]
  if info == nil then
    local keys = req.accounts[p.account]
    local fields = keys and redis.call('HMGET', keys.acct, 'type', 'may_go_negative') or {}
    if not fields[1] then
      return refuse('UNKNOWN_ACCOUNT', 'no such account', {account = p.account})
    end
    info = {keys = keys, negative = fields[2] == '1'}
    accounts[p.account] = info
  end
  if sums[p.asset] == nil then
    local declared = false
    for _, asset in ipairs(req.declare_assets) do
      declared = declared or asset == p.asset
    end
    if not declared and redis.call('SISMEMBER', req.assets_key, p.asset) == 0 then
      return refuse('UNKNOWN_ASSET', 'no such unit class or currency', {asset = p.asset})
    end
    sums[p.asset] = 0
    sum_order[#sum_order + 1] = p.asset
  end
  sums[p.asset] = sums[p.asset] + p.delta
  local id = p.account .. '\0' .. p.asset .. '\0' .. p.bucket
  if changes[id] == nil then
    changes[id] = {account = p.account, asset = p.asset, bucket = p.bucket, delta = 0}
    change_order[#change_order + 1] = id
  end
  changes[id].delta = changes[id].delta + p.delta
end
for _, asset in ipairs(sum_order) do
  if sums[asset] ~= 0 then
    return refuse('UNBALANCED_ENTRY', 'the deltas of an asset must sum to zero', {asset = asset, sum = fmt(sums[asset])})
  end
end

-- 4. no balance of an account that may not go negative ends below zero
local holdings = {}
for _, id in ipairs(change_order) do
  local c = changes[id]
  local info = accounts[c.account]
  local current = tonumber(redis.call('HGET', info.keys.bal, c.asset .. '|' .. c.bucket) or '0')
  c.after = current + c.delta
  if c.after > MAX or c.after < -MAX then
    return refuse('INVALID_AMOUNT', 'the balance would overflow', {account = c.account, asset = c.asset})
  end
  if c.after < 0 and not info.negative then
    local code = c.bucket == 'a' and 'INSUFFICIENT_AVAILABLE' or 'INSUFFICIENT_RESERVED'
    return refuse(code, 'the balance is too small for the entry',
                  {account = c.account, asset = c.asset, bucket = c.bucket, balance = fmt(current), delta = fmt(c.delta)})
  end
  local hid = c.account .. '\0' .. c.asset
  holdings[hid] = holdings[hid] or {account = c.account, asset = c.asset, delta = 0}
  holdings[hid].delta = holdings[hid].delta + c.delta
end

-- 5. counters under their caps: first what deleted records release, then the entry's changes in order; a
-- cap counts the field and the `cap_with` fields of the same hash (e.g. delivered + reserved quota) as they
-- stand after the changes before it
local counters = {}
local function counter(key, field)
  local id = key .. '\0' .. field
  return counters[id] or tonumber(redis.call('HGET', key, field) or '0'), id
end
for _, op in ipairs(releases) do
  local current, id = counter(op.key, op.field)
  counters[id] = current + int(op.delta)
  req.counters[#req.counters + 1] = op
end
for i, op in ipairs(req.counters) do
  local delta = int(op.delta)
  if delta == nil or delta == 0 then
    return refuse('INVALID_AMOUNT', 'a counter change must be a non-zero integer', {counter = op.key, field = op.field})
  end
  if i <= #req.counters - #releases then
    local current, id = counter(op.key, op.field)
    local after = current + delta
    local cap = op.cap and int(op.cap)
    if cap then
      local others = 0
      for _, field in ipairs(op.cap_with or {}) do
        others = others + counter(op.key, field)
      end
      if after + others > cap then
        return refuse(op.code or 'CAP_EXCEEDED', 'the entry would exceed a cap',
                      {counter = op.key, field = op.field, cap = fmt(cap), used = fmt(current + others),
                       requested = fmt(delta)})
      end
    end
    counters[id] = after
  end
end

-- 6. holding limits: configured per account, and explicit checks, after the entry
local function holding_after(account, asset)
  local bal = req.accounts[account].bal
  local values = redis.call('HMGET', bal, asset .. '|a', asset .. '|r')
  local total = tonumber(values[1] or '0') + tonumber(values[2] or '0')
  local h = holdings[account .. '\0' .. asset]
  return total + (h and h.delta or 0)
end
local function over_limit(account, asset, limit)
  local after = holding_after(account, asset)
  if after > limit then
    return refuse('HOLDING_LIMIT_EXCEEDED', 'the entry would take the holding over its limit',
                  {account = account, asset = asset, limit = fmt(limit), holding_after = fmt(after)})
  end
end
for _, h in pairs(holdings) do
  if h.delta > 0 then
    local limit = redis.call('HGET', req.accounts[h.account].limit, h.asset)
    if limit then
      local refused = over_limit(h.account, h.asset, tonumber(limit))
      if refused then
        return refused
      end
    end
  end
end
for _, check in ipairs(req.limits) do
  if req.accounts[check.account] == nil then
    return refuse('UNKNOWN_ACCOUNT', 'no such account', {account = check.account})
  end
  local refused = over_limit(check.account, check.asset, int(check.limit) or 0)
  if refused then
    return refused
  end
end

-- 7. apply everything
for _, id in ipairs(change_order) do
  local c = changes[id]
  if c.delta ~= 0 then
    redis.call('HINCRBY', accounts[c.account].keys.bal, c.asset .. '|' .. c.bucket, fmt(c.delta))
  end
end
for key, rec in pairs(records) do
  if rec.deleted then
    redis.call('DEL', key)
  elseif rec.dirty then
    local flat = {}
    for field, value in pairs(rec.fields) do
      flat[#flat + 1] = field
      flat[#flat + 1] = value
    end
    redis.call('HSET', key, unpack(flat))
  end
end
for _, op in ipairs(req.counters) do
  redis.call('HINCRBY', op.key, op.field, op.delta)
end
for _, asset in ipairs(req.declare_assets) do
  redis.call('SADD', req.assets_key, asset)
end

local by_registry = {}
for _, p in ipairs(postings) do
  local registry = req.accounts[p.account].registry
  by_registry[registry] = by_registry[registry] or {}
  table.insert(by_registry[registry], {p.account, p.asset, p.bucket, fmt(p.delta)})
end
local journal_ids = {}
for registry, key in pairs(req.journals) do
  local lines = by_registry[registry]
  local encoded = (lines and #lines > 0) and cjson.encode(lines) or '[]'
  journal_ids[registry] = redis.call('XADD', key, '*', 'entry_id', req.entry_id, 'kind', req.kind,
                                     'time', req.time, 'postings', encoded, 'meta', req.meta)
end

local result = cjson.encode({ok = true, entry_id = req.entry_id, kind = req.kind, journal_ids = journal_ids})
redis.call('SET', req.entry_key, result)
return {result, 0}
