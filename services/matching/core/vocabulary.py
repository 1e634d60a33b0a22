"""The matching core's vocabulary: sides, order types, times in force, phases and self-trade modes.

Plain string constants (the same spellings as the wire enums in `shared.messages`), so events and
snapshots are JSON-ready and comparisons stay cheap.
"""

BUY = "BUY"
SELL = "SELL"

LIMIT = "LIMIT"
MARKET = "MARKET"
POST_ONLY = "POST_ONLY"
ORDER_TYPES = frozenset({LIMIT, MARKET, POST_ONLY})

GTC = "GTC"
DAY = "DAY"
GTD = "GTD"
IOC = "IOC"
FOK = "FOK"
TIMES_IN_FORCE = frozenset({GTC, DAY, GTD, IOC, FOK})
IMMEDIATE = frozenset({IOC, FOK})  # never rest on the book

CLOSED = "CLOSED"
PRE_OPEN = "PRE_OPEN"
OPENING_AUCTION = "OPENING_AUCTION"
CONTINUOUS = "CONTINUOUS"
HALTED = "HALTED"
CLOSING_AUCTION = "CLOSING_AUCTION"
PHASES = frozenset({CLOSED, PRE_OPEN, OPENING_AUCTION, CONTINUOUS, HALTED, CLOSING_AUCTION})

# Phases that collect orders without matching them (a call): only resting order kinds are accepted.
CALL_PHASES = frozenset({PRE_OPEN, OPENING_AUCTION, CLOSING_AUCTION})
AUCTIONS = frozenset({OPENING_AUCTION, CLOSING_AUCTION})
# New orders and amends are accepted in these phases; cancels and mass cancels in every phase.
ORDER_ENTRY_PHASES = CALL_PHASES | {CONTINUOUS}

# Allowed phase changes. Leaving an auction for CONTINUOUS or CLOSED uncrosses the book; entering
# CONTINUOUS from any phase uncrosses a crossed book first (e.g. GTC orders left crossed by PRE_OPEN).
TRANSITIONS = {
    CLOSED: frozenset({PRE_OPEN, OPENING_AUCTION, CONTINUOUS}),
    PRE_OPEN: frozenset({OPENING_AUCTION, CLOSED}),
    OPENING_AUCTION: frozenset({CONTINUOUS, HALTED, CLOSED}),
    CONTINUOUS: frozenset({CLOSING_AUCTION, HALTED, CLOSED}),
    HALTED: frozenset({OPENING_AUCTION, CONTINUOUS, CLOSED}),
    CLOSING_AUCTION: frozenset({CLOSED, HALTED}),
}

STP_NONE = "NONE"
STP_CANCEL_RESTING = "CANCEL_RESTING"
STP_CANCEL_INCOMING = "CANCEL_INCOMING"
STP_CANCEL_BOTH = "CANCEL_BOTH"
STP_MODES = frozenset({STP_NONE, STP_CANCEL_RESTING, STP_CANCEL_INCOMING, STP_CANCEL_BOTH})
