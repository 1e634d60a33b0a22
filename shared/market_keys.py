"""Redis key layout of market data, order state and per-account activity (not ledger keys: see redis_keys).

Who writes what:
- order entry creates ``ord:{order_id}`` (status PENDING_NEW plus the order's terms), its ``ord:idx:{account}``
  entry and ``coid:{account}:{client_order_id}``, in the same Lua call as the reservation and the outbox entry
  (``shared.order_outbox``);
- matching updates ``ord:{order_id}`` (status, leaves, filled, reason) and writes every ``md:{instrument}:*`` key;
- settlement appends to ``acct:{account}:trades`` and ``acct:{account}:settlements`` (JSON, LPUSH newest first).
"""

from __future__ import annotations

#: Order statuses stored in ``ord:{order_id}``'s ``status`` field.
PENDING_NEW = "PENDING_NEW"
NEW = "NEW"
PARTIALLY_FILLED = "PARTIALLY_FILLED"
FILLED = "FILLED"
CANCELLED = "CANCELLED"
EXPIRED = "EXPIRED"
REJECTED = "REJECTED"
OPEN_STATUSES = frozenset({PENDING_NEW, NEW, PARTIALLY_FILLED})
ORDER_STATUSES = (PENDING_NEW, NEW, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED)

#: Recent trades kept per instrument (LPUSH then LTRIM 0 RECENT_TRADES-1).
RECENT_TRADES = 1000


def levels(instrument: str, side: str) -> str:
    """Hash of one side of the book: price (minor units, decimal string) → ``"{qty}:{order_count}"``."""
    return f"md:{instrument}:levels:{side}"


def last_trade(instrument: str) -> str:
    """Hash: price, quantity, trade_id, at (business ms) of the last trade."""
    return f"md:{instrument}:last"


def phase(instrument: str) -> str:
    """String: the instrument's current trading phase (shared.messages.vocabulary.Phase value)."""
    return f"md:{instrument}:phase"


def reference_price(instrument: str) -> str:
    """String: the reference price (minor units) the static band is computed around."""
    return f"md:{instrument}:reference"


def band_override(instrument: str) -> str:
    """String: the band override for the sessions to come, JSON (low, high in minor units, reason, at), or empty
    when there is none (``shared.messages.order_commands.SetBandOverride``)."""
    return f"md:{instrument}:band-override"


def session_clip(instrument: str) -> str:
    """String: ``"{low}:{high}"``, the band override in force when the reference price was set (the current
    session's band is the static band narrowed by it, ``shared.bands.narrow``), or empty."""
    return f"md:{instrument}:session-clip"


def parse_clip(raw: str | bytes | None) -> tuple[int, int] | None:
    """The range a ``session_clip`` value names, None when it is empty or absent."""
    if not raw:
        return None
    low, _, high = (raw.decode() if isinstance(raw, bytes) else raw).partition(":")
    return int(low), int(high)


def recent_trades(instrument: str) -> str:
    """List of recent trades as JSON (TradeExecuted fields plus ``at``), newest first."""
    return f"md:{instrument}:trades"


def resting_orders(instrument: str) -> str:
    """Hash of the instrument's resting orders: order id → JSON (side, price, quantity, account)."""
    return f"md:{instrument}:resting"


def mirrored_seq(instrument: str) -> str:
    """String: the last matching sequence number mirrored into Redis (replay skips what is at or below it)."""
    return f"md:{instrument}:seq"


def matching_snapshot(topic: str, partition: int) -> str:
    """String: matching's snapshot of every book of one command partition (JSON)."""
    return f"matching:snapshot:{topic}:{partition}"


def order_state(order_id: str) -> str:
    """Hash of one order: status, leaves, filled, reason, and account, instrument, side, type, tif, price,
    quantity, client_order_id, created_at, expire_at as stored at submission."""
    return f"ord:{order_id}"


def order_index(account: str) -> str:
    """Sorted set of an account's order ids scored by creation time (ms)."""
    return f"ord:idx:{account}"


def order_sequence(instrument: str) -> str:
    """Counter giving order ids ``O-{instrument}-{n}``."""
    return f"ord:seq:{instrument}"


def client_order(account: str, client_order_id: str) -> str:
    """String: the order id a client order id of the account maps to (SET NX makes retries idempotent)."""
    return f"coid:{account}:{client_order_id}"


def account_trades(account: str) -> str:
    """List of the account's settled-or-matched trades as JSON, newest first."""
    return f"acct:{account}:trades"


def account_settlements(account: str) -> str:
    """List of the account's settlement events (TradeSettled / TradeFailed as JSON), newest first."""
    return f"acct:{account}:settlements"
