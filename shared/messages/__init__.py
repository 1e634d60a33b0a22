"""Every command and event that crosses Kafka: one pydantic model per message type, defined once.

Commands are imperative (`SubmitOrder`), events past tense (`TradeExecuted`). The models live in modules by
topic family: `vocabulary` (base model, enums), `order_commands`, `order_events`, `post_trade`,
`link_commands`, `operations`; import a model from its module. This package is the catalogue:
`MESSAGE_TYPES` maps the envelope's `type` to its payload model, `payload_of` parses an envelope's payload into
that model, `envelope_for` wraps a model in an envelope.
"""

from __future__ import annotations

from shared.envelope import Envelope
from shared.messages import link_commands, operations, order_commands, order_events, post_trade
from shared.messages.vocabulary import Message

__all__ = ["MESSAGE_TYPES", "UnknownMessageType", "envelope_for", "payload_of"]

# Every model a module exports (`LinkCommand`, a union of models, is not one).
MESSAGE_TYPES: dict[str, type[Message]] = {
    getattr(module, name).__name__: getattr(module, name)
    for module in (order_commands, order_events, post_trade, link_commands, operations)
    for name in module.__all__
    if isinstance(getattr(module, name), type)
}


class UnknownMessageType(ValueError):
    pass


def payload_of(envelope: Envelope) -> Message:
    """The typed payload; raises UnknownMessageType or a pydantic ValidationError."""
    model = MESSAGE_TYPES.get(envelope.type)
    if model is None:
        raise UnknownMessageType(f"unknown message type {envelope.type!r}")
    return model.model_validate(envelope.payload)


def envelope_for(message: Message, *, event_id: str, occurred_at: int, correlation_id: str = "") -> Envelope:
    return Envelope(
        event_id=event_id, type=type(message).__name__, occurred_at=occurred_at,
        correlation_id=correlation_id, payload=message.model_dump(mode="json"),
    )
