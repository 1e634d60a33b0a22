"""The circuit breaker's memory: recent trade prices by business time, and the band they allow.

See `CircuitBreaker` for the rule. The window holds one (ts, last price) entry per business time at which
trades happened, newest last; entries at or before `now - window_ms` fold into `base`, the price then. An auction uncross and a
resumption after a halt reset the memory to the latest price, so a re-opened market is measured from where
it re-opened rather than tripping again on the move that halted it.
"""

from __future__ import annotations

from collections import deque

from services.matching.core.instrument import CircuitBreaker
from shared.bands import price_range


class BreakerWindow:
    __slots__ = ("rule", "base", "window", "_cached_anchor", "_cached_range")

    def __init__(self, rule: CircuitBreaker) -> None:
        self.rule = rule
        self.base: int | None = None
        self.window: deque[tuple[int, int]] = deque()
        self._cached_anchor: int | None = None
        self._cached_range: tuple[int, int] | None = None

    def anchor(self, now: int, reference: int | None) -> int | None:
        """The price `window_ms` before `now`, as the rule defines it."""
        horizon = now - self.rule.window_ms
        window = self.window
        while window and window[0][0] <= horizon:
            self.base = window.popleft()[1]
        if self.base is not None:
            return self.base
        if reference is not None:
            return reference
        return window[0][1] if window else None

    def allowed_range(self, now: int, reference: int | None) -> tuple[int, int] | None:
        """Lowest and highest price a fill may have at `now` without tripping, or None (no anchor)."""
        anchor = self.anchor(now, reference)
        if anchor is None:
            return None
        if anchor != self._cached_anchor:
            self._cached_anchor = anchor
            self._cached_range = price_range(anchor, self.rule.max_move)
        return self._cached_range

    def record(self, ts: int, price: int) -> None:
        window = self.window
        if window and window[-1][0] == ts:
            window[-1] = (ts, price)
        else:
            window.append((ts, price))

    def reset(self, price: int | None) -> None:
        """Forget the history: from now on the breaker measures moves from `price` (after an uncross or a halt)."""
        self.base = price
        self.window.clear()

    def to_dict(self) -> dict:
        return {"base": self.base, "window": [list(entry) for entry in self.window]}

    def load(self, data: dict) -> None:
        self.base = data["base"]
        self.window = deque((ts, price) for ts, price in data["window"])
