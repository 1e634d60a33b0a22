"""The trading phases of an instrument and what each allows, one home for matching and order entry.

Plain strings, spelled as the wire enum ``shared.messages.vocabulary.Phase`` (a StrEnum, so its members compare
and hash equal to these). Standard library only.
"""

from typing import Final

CLOSED: Final = "CLOSED"
PRE_OPEN: Final = "PRE_OPEN"
OPENING_AUCTION: Final = "OPENING_AUCTION"
CONTINUOUS: Final = "CONTINUOUS"
HALTED: Final = "HALTED"
CLOSING_AUCTION: Final = "CLOSING_AUCTION"
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
