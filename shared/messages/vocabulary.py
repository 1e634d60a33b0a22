"""The wire's vocabulary: the base of every message model, the bounded field types and the trading enums.

Every message model of `shared.messages` derives from `Message` (frozen, unknown fields refused).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Id", "Message", "Minor", "OrderType", "Phase", "SelfTradePrevention", "Side", "TimeInForce", "Tonnes"]

Id = Annotated[str, Field(min_length=1, max_length=200)]
Tonnes = Annotated[int, Field(gt=0, le=10**12)]
Minor = Annotated[int, Field(ge=0, le=10**15)]


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    POST_ONLY = "POST_ONLY"


class TimeInForce(StrEnum):
    GTC = "GTC"
    DAY = "DAY"
    GTD = "GTD"
    IOC = "IOC"
    FOK = "FOK"


class Phase(StrEnum):
    CLOSED = "CLOSED"
    PRE_OPEN = "PRE_OPEN"
    OPENING_AUCTION = "OPENING_AUCTION"
    CONTINUOUS = "CONTINUOUS"
    HALTED = "HALTED"
    CLOSING_AUCTION = "CLOSING_AUCTION"


class SelfTradePrevention(StrEnum):
    NONE = "NONE"
    CANCEL_RESTING = "CANCEL_RESTING"
    CANCEL_INCOMING = "CANCEL_INCOMING"
    CANCEL_BOTH = "CANCEL_BOTH"


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
