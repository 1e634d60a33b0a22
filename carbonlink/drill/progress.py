"""The drill's live progress display (rich): phase, business time, and trades and prices per market."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from shared.money import minor_digits

__all__ = ["Progress"]


class Progress:
    """Redraws twice a second while the drill runs; prints nothing when ``quiet``."""

    def __init__(self, drill: Any, *, quiet: bool) -> None:
        self.drill, self.quiet = drill, quiet
        self._live: Live | None = None
        self._task: asyncio.Task | None = None

    def __enter__(self) -> Progress:
        if not self.quiet:
            self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=2, transient=False)
            self._live.__enter__()
            self._task = asyncio.get_running_loop().create_task(self._refresh())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(None, None, None)

    async def _refresh(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(0.5)
                assert self._live is not None
                self._live.update(self._table())

    def _table(self) -> Table:
        drill = self.drill
        window = drill.window
        title = f"drill {drill.scenario.name}"
        if window is not None:
            moment = datetime.fromtimestamp(drill.now / 1000, tz=drill.scenario.clock.start.tzinfo)
            title += f" · phase {window.phase.name} · day {window.day} · {moment:%Y-%m-%d %H:%M}"
        table = Table(title=title)
        for column in ("market", "last", "trades", "volume"):
            table.add_column(column, justify="right")
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for trade in drill.journal.trades:
            if trade.refused is not None:
                continue
            counts[trade.instrument][0] += 1
            counts[trade.instrument][1] += trade.quantity
        for instrument in drill.scenario.instruments:
            quote = drill.floor.quotes.get(instrument.id)
            last = "-" if quote is None or quote.last is None else f"{quote.last / 10 ** minor_digits(instrument.currency):,.2f}"
            trades, volume = counts[instrument.id]
            table.add_row(f"{instrument.id} ({instrument.currency})", last, str(trades), str(volume))
        table.caption = f"orders {drill.floor.orders} · refusals {sum(drill.floor.refusals.values())}"
        return table
