"""Commands ready for an instrument's engine, and applying one; the routine ones (new orders, cancels, amends)
decoded straight from `orders.commands` into core commands.

Nearly every record on the topic is one of these three. `shared.kafka.parse` validates each with pydantic into an
envelope and a message model that the service then translated into the core command: ~30 µs a command, the
largest single cost of the service. Here one `orjson.loads` and plain checks of exact types and bounds make the
core command directly (~5 µs). The checks accept only what the wire models accept unchanged (exact `str`/`int`,
enum spellings, the same bounds, no unknown field), so the result is what the pydantic path gives; anything else —
another type, a coercible value such as `"5"` for an int, a misrouted or malformed message — returns None and
takes `shared.kafka.parse`, whose verdict and dead-letter reason are the authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from aiokafka import ConsumerRecord

from services.matching import core
from shared.kafka import PRODUCER_HEADER
from shared.order_outbox import HEADER as OUTBOX_HEADER
from shared.topics import ORDERS_COMMANDS

_PRODUCERS = frozenset(name.encode() for name in ORDERS_COMMANDS.producers)
_ENVELOPE_KEYS = frozenset(("event_id", "type", "schema_version", "occurred_at", "correlation_id", "follows",
                            "payload"))
_SUBMIT_KEYS = frozenset(("order_id", "client_order_id", "instrument", "account", "side", "order_type",
                          "time_in_force", "price", "quantity", "expire_at", "min_fill"))
_CANCEL_KEYS = frozenset(("order_id", "instrument"))
_AMEND_KEYS = frozenset(("order_id", "instrument", "price", "quantity"))
_SIDES = frozenset(("BUY", "SELL"))
_ORDER_TYPES = frozenset(("LIMIT", "MARKET", "POST_ONLY"))
_TIMES_IN_FORCE = frozenset(("GTC", "DAY", "GTD", "IOC", "FOK"))
_MAX_MINOR = 10**15
_MAX_TONNES = 10**12


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs ~1 µs more per command
class EngineCommand:
    """A command ready for its instrument's engine; `submit` says it is a new order (decided once per order id)."""

    instrument: str
    order_id: str
    command: object
    submit: bool
    event_id: str
    entry_id: str  # order entry's outbox entry (``shared.order_outbox.HEADER``), "" when none


def apply(command: EngineCommand, engines: Mapping[str, core.MatchingEngine], touched: dict[str, list]) -> str | None:
    """Apply `command` to its instrument's engine, adding its events to `touched`; return why it was refused
    (dead-lettered), or None. A new order is decided once by its order id (order entry's outbox sends a command
    again until it sees the outcome); an amend or a mass cancel once by its event id, in the engine."""
    engine = engines.get(command.instrument)
    if engine is None:
        return f"unknown instrument {command.instrument!r}"
    if command.submit:
        # Rejected ids are remembered too, so that a new order is never decided twice.
        if command.order_id in engine.known_order_ids:
            return None
        events = engine.handle(command.command)
        engine.known_order_ids.add(command.order_id)
    else:
        events = engine.handle(command.command)
    touched.setdefault(command.instrument, []).extend(events)
    return None


def event_id_of(parsed: object) -> str:
    """The event id of an `EngineCommand` or of anything with an envelope (for logs)."""
    return parsed.event_id if type(parsed) is EngineCommand else parsed.envelope.event_id


def decode(record: ConsumerRecord) -> EngineCommand | None:
    """The record as a routine command, or None: let `shared.kafka.parse` decide what it is."""
    producer = b""
    entry_id = ""
    for name, value in record.headers or ():
        if name == PRODUCER_HEADER:
            producer = value
        elif name == OUTBOX_HEADER and value is not None:
            entry_id = value.decode()
    if producer not in _PRODUCERS or record.topic != ORDERS_COMMANDS.name:
        return None
    try:
        data = orjson.loads(record.value)
    except (orjson.JSONDecodeError, TypeError):
        return None
    if type(data) is not dict or not _ENVELOPE_KEYS.issuperset(data):
        return None
    event_id = data.get("event_id")
    ts = data.get("occurred_at")
    payload = data.get("payload")
    if (type(event_id) is not str or not 0 < len(event_id) <= 200 or type(ts) is not int or ts < 0
            or type(payload) is not dict or not _envelope_rest_valid(data)):
        return None
    kind = data.get("type")
    if kind == "SubmitOrder":
        return _submit(payload, ts, event_id, entry_id)
    if kind == "CancelOrder":
        if not _CANCEL_KEYS.issuperset(payload) or not _ids(payload, "order_id", "instrument"):
            return None
        order_id = payload["order_id"]
        cancel = core.CancelOrder(order_id=order_id, ts=ts)
        return EngineCommand(payload["instrument"], order_id, cancel, False, event_id, entry_id)
    if kind == "AmendOrder":
        if not _AMEND_KEYS.issuperset(payload) or not _ids(payload, "order_id", "instrument"):
            return None
        price, quantity = payload.get("price"), payload.get("quantity")
        if not (price is None or _int_within(price, 0, _MAX_MINOR)) or not (
                quantity is None or _int_within(quantity, 1, _MAX_TONNES)):
            return None
        order_id = payload["order_id"]
        return EngineCommand(payload["instrument"], order_id, core.AmendOrder(order_id=order_id, price=price,
                                                                        quantity=quantity, ts=ts, command_id=event_id),
                       False, event_id, entry_id)
    return None


def _submit(payload: dict, ts: int, event_id: str, entry_id: str) -> EngineCommand | None:
    if not _SUBMIT_KEYS.issuperset(payload) or not _ids(payload, "order_id", "client_order_id", "instrument",
                                                          "account"):
        return None
    side, order_type, tif = payload.get("side"), payload.get("order_type"), payload.get("time_in_force")
    price, quantity = payload.get("price"), payload.get("quantity")
    expire_at, min_fill = payload.get("expire_at"), payload.get("min_fill", 1)
    if (side not in _SIDES or order_type not in _ORDER_TYPES or tif not in _TIMES_IN_FORCE
            or type(side) is not str or type(order_type) is not str or type(tif) is not str
            or not _int_within(quantity, 1, _MAX_TONNES)
            or not (price is None or _int_within(price, 0, _MAX_MINOR))
            or not (expire_at is None or (type(expire_at) is int and expire_at >= 0))
            or not _int_within(min_fill, 1, _MAX_TONNES) or min_fill > quantity):
        return None
    order_id = payload["order_id"]
    command = core.SubmitOrder(order_id=order_id, account=payload["account"], side=side, quantity=quantity,
                               price=price, order_type=order_type, time_in_force=tif, ts=ts, expire_at=expire_at,
                               min_fill=min_fill)
    return EngineCommand(payload["instrument"], order_id, command, True, event_id, entry_id)


def _envelope_rest_valid(data: dict) -> bool:
    version = data.get("schema_version", 1)
    correlation = data.get("correlation_id", "")
    follows = data.get("follows", "")
    return (type(version) is int and version >= 1 and type(correlation) is str and len(correlation) <= 200
            and type(follows) is str and len(follows) <= 200)


def _ids(payload: dict, *names: str) -> bool:
    for name in names:
        value = payload.get(name)
        if type(value) is not str or not 0 < len(value) <= 200:
            return False
    return True


def _int_within(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high
