-- accept.lua: accept one order command in one atomic step: the order's state, its reservation in the ledger
-- and the command for matching (order entry's transactional outbox, see shared/order_outbox.py) are written
-- together or not at all. Loaded by services/order_entry/redis_order_store.py behind
-- `local function ledger_post(ARGV) <shared/ledger/post.lua> end`, so the ledger's one script validates and
-- applies the reservation here too.
--
-- KEYS: every key the call touches (declared for Redis Cluster).
-- ARGV[1]: the request as JSON; each part is optional:
--   grant  = {key, account}  the caller's grant set must hold the account (traders)
--   claim  = {key}           a new order: the client order id must be free
--   open   = {key}           an amend or a cancel: the order must still be open
--   order  = {key, id, index, created_at, fields}  the new order's record (fields: flat field/value list),
--                            its account index entry and its client order id claim (claim.key)
--   outbox = {stream, key, kind, order_id, wake}  the command's outbox entry, and the channel that wakes
--                            matching's consumer (shared/wakeup.py)
-- ARGV[2]: the ledger entry for post.lua (a reservation or its increase), or '' when nothing is reserved.
-- ARGV[3]: the command's envelope, published as it is.
-- Returns {'OK', ''}, {'EXISTS', order id} (client order id taken), {'FORBIDDEN', ''} (no grant),
-- {'NOT_OPEN', status} (the order has ended), or {'REFUSED', ledger result JSON} (the ledger refused).

local req = cjson.decode(ARGV[1])

-- 1. checks that write nothing
if req.claim then
  local existing = redis.call('GET', req.claim.key)
  if existing then
    return {'EXISTS', existing}
  end
end
if req.grant and redis.call('SISMEMBER', req.grant.key, req.grant.account) == 0 then
  return {'FORBIDDEN', ''}
end
if req.open then
  local status = redis.call('HGET', req.open.key, 'status')
  if status ~= 'PENDING_NEW' and status ~= 'NEW' and status ~= 'PARTIALLY_FILLED' then
    return {'NOT_OPEN', status or ''}
  end
end

-- 2. reservations: every reservation an order needs is taken here, all of them or none.
-- The ledger entry (post.lua) validates everything before it applies anything. A cross-border buy's link quota
-- travels in the same entry as capped counters (`CounterChange` with a cap counting the delivered counter
-- beside it; refused with the bridge's reason code) held by the order's reservation record, so the ledger
-- releases it with the record (see shared/ledger/entries/quota.py). A reservation kept outside the ledger would
-- go in this section: check it BEFORE the ledger post (returning {'REFUSED', json} writes nothing), and apply it
-- right AFTER the post succeeded, so that a refusal by either leaves no trace of the other.
if ARGV[2] ~= '' then
  local posted = ledger_post({ARGV[2]})
  local result = cjson.decode(posted[1])
  if not result.ok then
    return {'REFUSED', posted[1]}
  end
end

-- 3. the order's state and the command's outbox entry
if req.order then
  local o = req.order
  redis.call('HSET', o.key, 'order_id', o.id, unpack(o.fields))
  redis.call('SET', req.claim.key, o.id)
  redis.call('ZADD', o.index, o.created_at, o.id)
end
local box = req.outbox
redis.call('XADD', box.stream, '*', 'k', box.key, 'c', box.kind, 'o', box.order_id, 'v', ARGV[3])
if box.wake then
  redis.call('PUBLISH', box.wake, '')
end
return {'OK', ''}
