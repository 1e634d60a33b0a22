"""The contract of the market-mirror port (``shared.market_mirror.MarketMirror``), one suite for every adapter:
subclass ``MarketMirrorContract`` and give it a ``mirror`` fixture and a ``write`` fixture that applies matching's
mirror operations to it (the in-memory fake in unit tests, Redis through ``book_mirror.apply`` in integration
tests). The mirror is fed the way matching feeds it: the engine's events through ``book_mirror.mirror_ops``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from services.matching import book_mirror, core
from shared.market_mirror import Level, MarketMirror, MarketState

Write = Callable[[book_mirror.Ops], Awaitable[None]]
INSTRUMENT = "BJEA"


def order(order_id: str, side: str, price: int, quantity: int, *, ts: int) -> core.SubmitOrder:
    return core.SubmitOrder(order_id=order_id, account=f"CN-BJ/{order_id}", side=side, quantity=quantity, price=price,
                            ts=ts)


async def mirrored(write: Write, *commands: object) -> None:
    """Run ``commands`` through a fresh engine opened at 5,000 and mirror every event, as matching does."""
    engine = core.MatchingEngine(core.InstrumentRules(instrument=INSTRUMENT))
    events: list[core.Event] = []
    for command in (core.ChangePhase(phase="CONTINUOUS", reference_price=5_000, ts=1), *commands):
        events += engine.handle(command)
    ops: book_mirror.Ops = []
    book_mirror.mirror_ops(ops, INSTRUMENT, events, after_seq=0)
    await write(ops)


def prices(levels: Sequence[Level]) -> list[int]:
    return [level.price for level in levels]


class MarketMirrorContract:
    """What every market-mirror adapter reads of what matching wrote."""

    async def test_an_instrument_matching_never_mirrored_has_no_state_levels_or_trades(
            self, mirror: MarketMirror) -> None:
        assert await mirror.market_state(INSTRUMENT) == MarketState(phase=None, reference=None, clip=None)
        assert await mirror.levels(INSTRUMENT, "BUY", depth=10) == []
        assert await mirror.recent_trades(INSTRUMENT, limit=10) == []

    async def test_the_state_is_the_phase_and_reference_price_matching_last_mirrored(
            self, mirror: MarketMirror, write: Write) -> None:
        await mirrored(write, core.ChangePhase(phase="HALTED", ts=2))
        assert await mirror.market_state(INSTRUMENT) == MarketState(phase="HALTED", reference=5_000, clip=None)

    async def test_levels_aggregate_resting_orders_best_first_up_to_the_depth(
            self, mirror: MarketMirror, write: Write) -> None:
        await mirrored(write, order("b1", "BUY", 4_990, 10, ts=2), order("b2", "BUY", 4_995, 20, ts=3),
                       order("b3", "BUY", 4_990, 5, ts=4), order("s1", "SELL", 5_010, 7, ts=5),
                       order("s2", "SELL", 5_005, 8, ts=6))
        assert await mirror.levels(INSTRUMENT, "BUY", depth=10) == [Level(4_995, 20, 1), Level(4_990, 15, 2)]
        assert prices(await mirror.levels(INSTRUMENT, "SELL", depth=1)) == [5_005]

    async def test_trades_show_newest_first_and_a_fill_takes_its_quantity_off_the_level(
            self, mirror: MarketMirror, write: Write) -> None:
        await mirrored(write, order("s1", "SELL", 5_000, 30, ts=2), order("b1", "BUY", 5_000, 10, ts=3),
                       order("b2", "BUY", 5_000, 5, ts=4))
        trades = await mirror.recent_trades(INSTRUMENT, limit=10)
        assert [(t["quantity"], t["price"]) for t in trades] == [(5, 5_000), (10, 5_000)]
        assert len(await mirror.recent_trades(INSTRUMENT, limit=1)) == 1
        assert await mirror.levels(INSTRUMENT, "SELL", depth=10) == [Level(5_000, 15, 1)]
        assert await mirror.levels(INSTRUMENT, "BUY", depth=10) == []
