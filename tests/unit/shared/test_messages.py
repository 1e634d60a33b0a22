"""Every message type survives an orjson round trip through its envelope unchanged."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from shared import phases
from shared.envelope import decode, encode
from shared.messages import MESSAGE_TYPES, UnknownMessageType, envelope_for, payload_of
from shared.messages import link_commands, operations, order_commands, order_events, post_trade, vocabulary
from shared.messages.order_commands import SubmitOrder
from shared.envelope import Envelope

SAMPLES: dict[str, dict] = {
    "ConfigureInstrument": dict(instrument="CN-BJ.BEA-2025", registry="CN-BJ", currency="CNY",
                                unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1,
                                max_quantity=100_000, band="1/10", reference_price=5230),
    "SubmitOrder": dict(order_id="o-1", client_order_id="c-1", instrument="X", account="CN-BJ/a", side="BUY",
                        order_type="LIMIT", time_in_force="GTC", price=5230, quantity=100),
    "CancelOrder": dict(order_id="o-1", instrument="X"),
    "AmendOrder": dict(order_id="o-1", instrument="X", quantity=50),
    "MassCancel": dict(instrument="X", registry="KR"),
    "ChangePhase": dict(instrument="X", phase="CONTINUOUS"),
    "AdvanceClock": dict(instrument="X", now=1_700_000_000_000),
    "SetBandOverride": dict(instrument="X", low=4000, high=5200, reason="corridor K"),
    "ClearBandOverride": dict(instrument="X"),
    "OrderAccepted": dict(order_id="o", instrument="X", account="a", side="SELL", order_type="LIMIT",
                          time_in_force="DAY", price=1, quantity=1),
    "OrderRejected": dict(order_id="o", instrument="X", account="a", side=None, reason="UNKNOWN_ORDER"),
    "OrderCancelled": dict(order_id="o", instrument="X", account="a", side="BUY", reason="USER",
                           remaining_quantity=3),
    "OrderExpired": dict(order_id="o", instrument="X", account="a", side="BUY", remaining_quantity=3),
    "OrderAmended": dict(order_id="o", instrument="X", account="a", side="BUY", price=2, quantity=3,
                         lost_priority=True),
    "TradeExecuted": dict(trade_id="X:T1", instrument="X", trade_seq=1, price=5, quantity=2, buy_order_id="b",
                          sell_order_id="s", buy_account="A/b", sell_account="A/s", maker_order_id="s",
                          taker_order_id="b", maker_account="A/s", taker_account="A/b",
                          aggressor_side="BUY", buy_leaves_quantity=0, sell_leaves_quantity=3),
    "CommandRejected": dict(instrument="X", command="CancelOrder", order_id="o", reason="UNKNOWN_ORDER"),
    "PhaseChanged": dict(instrument="X", previous="CONTINUOUS", phase="HALTED", reason="CIRCUIT_BREAKER"),
    "ReferencePriceChanged": dict(instrument="X", price=5230, clip_low=5000, clip_high=5200),
    "BandOverrideChanged": dict(instrument="X", low=None, high=None, reason=""),
    "TradingHalted": dict(instrument="X", order_id="o", price=6000, anchor_price=5000, low=4500, high=5500),
    "BookDelta": dict(instrument="X", side="BUY", price=5, quantity=0, order_count=0),
    "TradeSettled": dict(trade_id="X:T1", instrument="X", buy_account="a", sell_account="b", price=5, quantity=2,
                         delivered_quantity=2, delivered_asset="U:KR:ALLOWANCE:2025", entry_ids=["e"],
                         cross_registry=False),
    "TradeFailed": dict(trade_id="X:T1", instrument="X", buy_account="a", sell_account="b", quantity=2,
                        reason_code=7205, reason="PERIOD_CAP_EXCEEDED", message="cap"),
    "DeliveryRequested": dict(trade_id="t", instrument="X", currency="CNY", unit_asset="U:CN-BJ:ALLOWANCE:2025",
                              price=1, quantity=1, buy_order_id="b", sell_order_id="s", buy_account="KR/a",
                              sell_account="CN-BJ/b", buyer_cash=1, seller_cash=1, buyer_fee=0, seller_fee=0,
                              matched_at=0),
    "DeliveryDecided": dict(trade_id="t", instrument="X", outcome="APPROVED", link_id="L", reason_code=0,
                            reason="APPROVED", message="ok", delivered_quantity=1),
    "BridgeCheckRecorded": dict(trade_id="t", link_id=None, checks=[{"check": "link", "ok": True}],
                                outcome="REFUSED", reason_code=7101),
    "SuspendLink": dict(link_id="BJ-KR"),
    "ResumeLink": dict(link_id="BJ-KR"),
    "TerminateLink": dict(link_id="BJ-KR"),
    "LinkCommandExecuted": dict(command_id="c1", link_id="BJ-KR", command="SuspendLink", outcome="DONE",
                                status="SUSPENDED"),
    "LedgerEntryRecorded": dict(registry="CN-BJ", stream_id="1-0", entry_id="settle:X:T1", kind="SETTLE", time=1,
                                postings=[("CN-BJ/a", "C:CNY", "a", -5), ("CN-BJ/b", "C:CNY", "a", 5)], meta={}),
    "AlertRaised": dict(alert_id="WASH:t1", code="WASH_TRADE", severity="HIGH", subject="CN-BJ-EUA",
                        owner="acme", evidence=["CN-BJ-EUA:T1"], raised_at=1, summary="a wash trade",
                        details={"quantity": 10}),
    "ServiceHeartbeat": dict(service="matching", instance="matching-0", pid=1),
    "DeadLettered": dict(source_topic="orders.commands", partition=0, offset=1, reason="not JSON", raw="{"),
}


def test_every_message_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("type_name", sorted(MESSAGE_TYPES))
def test_message_round_trips_through_the_envelope(type_name: str) -> None:
    message = MESSAGE_TYPES[type_name].model_validate(SAMPLES[type_name])
    envelope = envelope_for(message, event_id=f"{type_name}:1", occurred_at=42, correlation_id="corr")
    decoded = decode(encode(envelope))
    assert decoded == envelope
    assert payload_of(decoded) == message


def test_messages_are_immutable() -> None:
    message = SubmitOrder.model_validate(SAMPLES["SubmitOrder"])
    with pytest.raises(ValidationError):
        message.quantity = 5  # type: ignore[misc]


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        SubmitOrder.model_validate({**SAMPLES["SubmitOrder"], "leverage": 10})


def test_a_band_override_needs_its_low_at_or_below_its_high() -> None:
    with pytest.raises(ValidationError):
        MESSAGE_TYPES["SetBandOverride"](instrument="X", low=5201, high=5200)


def test_an_unknown_type_is_refused() -> None:
    envelope = Envelope(event_id="e", type="LaunderUnits", occurred_at=0, payload={})
    with pytest.raises(UnknownMessageType):
        payload_of(envelope)


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"event_id": 1}', b"\xff\xfe"])
def test_garbage_does_not_decode(raw: bytes) -> None:
    with pytest.raises(ValueError):
        decode(raw)


def test_models_are_pydantic_models() -> None:
    assert all(issubclass(model, BaseModel) for model in MESSAGE_TYPES.values())


def test_each_model_module_exports_its_models_and_the_catalogue_holds_them_all() -> None:
    modules = (link_commands, operations, order_commands, order_events, post_trade)
    exported = [name for module in modules for name in module.__all__ if name != "LinkCommand"]
    assert sorted(exported) == sorted(MESSAGE_TYPES)
    for module in (*modules, vocabulary):
        assert sorted(module.__all__) == module.__all__
        assert all(hasattr(module, name) for name in module.__all__)


def test_the_wire_phase_enum_spells_exactly_the_phases_matching_and_order_entry_rule_on() -> None:
    assert set(vocabulary.Phase) == phases.PHASES
