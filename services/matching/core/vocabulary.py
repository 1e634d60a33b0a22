"""The matching core's vocabulary: sides, order types, times in force, phases and self-trade modes.

Plain string constants (the same spellings as the wire enums in `shared.messages`), so events and
snapshots are JSON-ready and comparisons stay cheap. The phases are `shared.phases` (order entry checks them too).
"""

from typing import Final

BUY: Final = "BUY"
SELL: Final = "SELL"

LIMIT: Final = "LIMIT"
MARKET: Final = "MARKET"
POST_ONLY: Final = "POST_ONLY"
ORDER_TYPES = frozenset({LIMIT, MARKET, POST_ONLY})

GTC: Final = "GTC"
DAY: Final = "DAY"
GTD: Final = "GTD"
IOC: Final = "IOC"
FOK: Final = "FOK"
TIMES_IN_FORCE = frozenset({GTC, DAY, GTD, IOC, FOK})
IMMEDIATE = frozenset({IOC, FOK})  # never rest on the book

from shared.phases import (  # noqa: F401  (re-exported: the core's vocabulary includes the phases)
    AUCTIONS, CALL_PHASES, CLOSED, CLOSING_AUCTION, CONTINUOUS, HALTED, OPENING_AUCTION, ORDER_ENTRY_PHASES, PHASES,
    PRE_OPEN, TRANSITIONS,
)

STP_NONE: Final = "NONE"
STP_CANCEL_RESTING: Final = "CANCEL_RESTING"
STP_CANCEL_INCOMING: Final = "CANCEL_INCOMING"
STP_CANCEL_BOTH: Final = "CANCEL_BOTH"
STP_MODES = frozenset({STP_NONE, STP_CANCEL_RESTING, STP_CANCEL_INCOMING, STP_CANCEL_BOTH})
