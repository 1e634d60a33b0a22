"""The outbox's command envelopes, built without the Envelope model, are the bytes the model would publish."""

from __future__ import annotations

import pytest

from services.order_entry.redis_order_store import Command, command_bytes
from shared.envelope import encode
from shared.messages import envelope_for
from shared.messages.order_commands import AmendOrder, CancelOrder, MassCancel, SubmitOrder
from shared.messages.vocabulary import Message

SUBMIT = dict(order_id="O-BJEA-2025-7", client_order_id="c-1", instrument="BJEA-2025", account="CN-BJ/a1",
              side="BUY", order_type="LIMIT", time_in_force="GTC", price=5000, quantity=10)


@pytest.mark.parametrize("message", [
    SubmitOrder(**SUBMIT),
    SubmitOrder(**SUBMIT | {"order_type": "MARKET", "time_in_force": "IOC", "price": None, "min_fill": 10}),
    SubmitOrder(**SUBMIT | {"time_in_force": "GTD", "expire_at": 1_760_000_000_000}),
    CancelOrder(order_id="O-BJEA-2025-7", instrument="BJEA-2025"),
    AmendOrder(order_id="O-BJEA-2025-7", instrument="BJEA-2025", price=5100),
    AmendOrder(order_id="O-BJEA-2025-7", instrument="BJEA-2025", quantity=20),
    MassCancel(instrument="BJEA-2025", account="CN-BJ/a1"),
])
def test_a_command_is_published_as_its_envelope_model_encodes_it(message: Message) -> None:
    order_id = getattr(message, "order_id", "")
    command = Command(message, "SUBMIT", "BJEA-2025", order_id, f"x:{order_id}:1", 1_700_000_000_000)
    expected = encode(envelope_for(message, event_id=command.event_id, occurred_at=command.occurred_at,
                                   correlation_id=order_id))
    assert command_bytes(command) == expected
