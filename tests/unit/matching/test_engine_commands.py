"""The fast decoding of new orders, cancels and amends gives the very core command the pydantic path gives, and
leaves everything else — coercible values, unknown fields, out-of-range numbers, other producers or types — to
`shared.kafka.parse`, whose verdict (and dead-letter reason) stays the authority."""

from __future__ import annotations

import orjson
import pytest
from aiokafka import ConsumerRecord

from carbonlink.bench.wire_stream import order_commands
from services.matching.engine_commands import decode
from services.matching.translate import command_of
from shared.kafka import Delivery, parse
from shared.topics import ORDERS_COMMANDS


def record(value: bytes, *, producer: bytes = b"order_entry", topic: str = ORDERS_COMMANDS.name,
           outbox_id: bytes | None = None) -> ConsumerRecord:
    headers = [("producer", producer)] + ([("outbox_id", outbox_id)] if outbox_id is not None else [])
    return ConsumerRecord(topic, 0, 7, 0, 0, b"X", value, None, 1, len(value), tuple(headers))


def pydantic_path(rec: ConsumerRecord) -> object:
    parsed = parse(rec)
    assert isinstance(parsed, Delivery)
    submit = type(parsed.message).__name__ == "SubmitOrder"
    return command_of(parsed.message, parsed.envelope.occurred_at, "" if submit else parsed.envelope.event_id)


def test_the_standard_stream_decodes_to_the_same_core_commands_as_the_pydantic_path() -> None:
    commands = order_commands("X", 3000)
    kinds = set()
    for n, command in enumerate(commands):
        rec = record(command.encoded("X", n), outbox_id=b"1700000000000-%d" % n)
        fast = decode(rec)
        assert fast is not None
        assert fast.command == pydantic_path(rec)
        assert (fast.instrument, fast.event_id, fast.entry_id) == ("X", f"X:cmd{n}", f"1700000000000-{n}")
        assert fast.order_id == command.message.order_id
        assert fast.submit == (type(command.message).__name__ == "SubmitOrder")
        kinds.add(type(fast.command).__name__)
    assert kinds == {"SubmitOrder", "CancelOrder", "AmendOrder"}


def envelope(kind: str, payload: dict, **fields) -> dict:
    return {"event_id": "X:cmd1", "type": kind, "schema_version": 1, "occurred_at": 5, "correlation_id": "",
            "payload": payload, **fields}


SUBMIT = {"order_id": "o1", "client_order_id": "c1", "instrument": "X", "account": "KR/a", "side": "BUY",
          "order_type": "LIMIT", "time_in_force": "GTC", "price": 100, "quantity": 10}


def test_optional_fields_and_defaults_match_the_wire_model() -> None:
    for payload in (SUBMIT, {**SUBMIT, "min_fill": 10, "expire_at": 9, "price": None, "order_type": "MARKET"}):
        rec = record(orjson.dumps(envelope("SubmitOrder", payload, follows="X:cmd0")))
        assert decode(rec).command == pydantic_path(rec)
    amend = record(orjson.dumps(envelope("AmendOrder", {"order_id": "o1", "instrument": "X", "quantity": 3})))
    assert decode(amend).command == pydantic_path(amend)


@pytest.mark.parametrize("message", [
    envelope("SubmitOrder", {**SUBMIT, "quantity": "10"}),  # pydantic coerces it: its path decides
    envelope("SubmitOrder", {**SUBMIT, "quantity": 10.0}),
    envelope("SubmitOrder", {**SUBMIT, "quantity": True}),
    envelope("SubmitOrder", {**SUBMIT, "quantity": 0}),
    envelope("SubmitOrder", {**SUBMIT, "quantity": 10**12 + 1}),
    envelope("SubmitOrder", {**SUBMIT, "price": -1}),
    envelope("SubmitOrder", {**SUBMIT, "min_fill": 11}),
    envelope("SubmitOrder", {**SUBMIT, "side": "buy"}),
    envelope("SubmitOrder", {**SUBMIT, "order_id": ""}),
    envelope("SubmitOrder", {**SUBMIT, "account": "a" * 201}),
    envelope("SubmitOrder", {**SUBMIT, "colour": "red"}),
    envelope("SubmitOrder", {k: v for k, v in SUBMIT.items() if k != "side"}),
    envelope("SubmitOrder", SUBMIT, extra="field"),
    envelope("SubmitOrder", SUBMIT, occurred_at=-1),
    envelope("SubmitOrder", SUBMIT, schema_version=0),
    envelope("CancelOrder", {"order_id": "o1", "instrument": "X", "price": 1}),
    envelope("AmendOrder", {"order_id": "o1", "instrument": "X", "quantity": 0}),
    envelope("MassCancel", {"instrument": "X"}),
    envelope("ChangePhase", {"instrument": "X", "phase": "CONTINUOUS"}),
    [1, 2],
])
def test_anything_else_is_left_to_the_pydantic_path(message: object) -> None:
    assert decode(record(orjson.dumps(message))) is None


def test_a_misrouted_or_unreadable_record_is_left_to_the_pydantic_path() -> None:
    good = orjson.dumps(envelope("SubmitOrder", SUBMIT))
    assert decode(record(good)) is not None
    assert decode(record(good, producer=b"settlement")) is None
    assert isinstance(parse(record(good, producer=b"settlement")), str)
    assert decode(record(good, topic="orders.events")) is None
    assert decode(record(b"{not json")) is None
