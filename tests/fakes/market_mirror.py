"""An in-memory fake of the market-mirror port (``shared.market_mirror.MarketMirror``), for unit tests.

Matching writes its mirror as lists of small operations (``services/matching/book_mirror.py``: H, D, S, M, L, F)
that one Lua script applies; ``apply`` here is that script read aloud over plain dicts standing for the Redis
strings, hashes and lists, and the reads decode them as the Redis adapter does. The contract suite
(``tests/contracts/market_mirror.py``) feeds both the same operations, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import json

from shared import market_keys as mk
from shared.market_mirror import Level, MarketState, best_first, parse_level


class InMemoryMarketMirror:
    """The mirror's Redis keys as ``strings``, ``hashes`` and ``lists``."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.hashes: dict[str, dict[str, str]] = {}
        self.lists: dict[str, list[str]] = {}

    def apply(self, ops: list[list]) -> None:
        """Matching's mirror operations, in order (what ``book_mirror.apply`` sends to Redis)."""
        for kind, key, *args in ops:
            if kind == "H":
                self.hashes.setdefault(key, {}).update(zip(args[::2], args[1::2]))
            elif kind == "D":
                self.hashes.get(key, {}).pop(args[0], None)
            elif kind in ("S", "M"):
                self.strings[key] = args[0]
            elif kind == "L":
                value, keep = args
                self.lists[key] = [value, *self.lists.get(key, [])][:int(keep)]
            elif kind == "F":
                self._fill(key, *args)
            else:
                raise ValueError(f"not a mirror operation: {kind!r}")

    def _fill(self, state_key: str, quantity: str, leaves: str, status: str, resting_key: str, order_id: str) -> None:
        state = self.hashes.setdefault(state_key, {})
        state["filled"] = str(int(state.get("filled", "0")) + int(quantity))
        state.update(leaves=leaves, status=status)
        resting = self.hashes.setdefault(resting_key, {})
        if leaves == "0":
            resting.pop(order_id, None)
        elif order_id in resting:
            resting[order_id] = json.dumps({**json.loads(resting[order_id]), "quantity": int(leaves)})

    # --- the port ------------------------------------------------------------------------------------------

    async def market_state(self, instrument: str) -> MarketState:
        phase, reference = self.strings.get(mk.phase(instrument)), self.strings.get(mk.reference_price(instrument))
        return MarketState(phase=phase or None, reference=int(reference) if reference else None,
                           clip=mk.parse_clip(self.strings.get(mk.session_clip(instrument))))

    async def levels(self, instrument: str, side: str, *, depth: int) -> list[Level]:
        raw = self.hashes.get(mk.levels(instrument, side), {})
        return best_first([parse_level(price, value) for price, value in raw.items()], side, depth)

    async def recent_trades(self, instrument: str, *, limit: int) -> list[dict[str, object]]:
        return [json.loads(item) for item in self.lists.get(mk.recent_trades(instrument), [])[:limit]]
