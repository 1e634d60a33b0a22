"""Replay an order stream CSV through the pure matching core; write its trades and final book as CSV.

Contract (issue 3): one instrument, continuous trading, no price band, no self-trade prevention, tick 1,
lot 1, no size limits. Rows the core rejects (unknown or duplicate order id, quantity <= 0, ...) and rows
whose fields do not parse produce no trade and do not stop the replay. Throughput is measured over the
core's work only, not reading or writing the files.

The timed loop keeps the trades and counts the rejections as it goes (every other event is dropped at once),
and runs with the garbage collector off and the objects built before it frozen: a full collection walks
every tracked object, so with it on the figure measured how much the replay had kept, not the core.
Reference cycles made meanwhile are collected after the clock stops.
"""

from __future__ import annotations

import csv
import gc
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from services.matching.core import (AmendOrder, CancelOrder, CommandRejected, InstrumentRules, MatchingEngine,
                                    OrderRejected, SubmitOrder, TradeExecuted)
from services.matching.core.vocabulary import BUY, CONTINUOUS, MARKET, SELL

TRADES_HEADER = ("trade_seq", "buy_order_id", "sell_order_id", "price", "qty", "aggressor_side")
BOOK_HEADER = ("side", "price", "order_id", "qty")
INSTRUMENT = "REPLAY"


@dataclass(frozen=True, slots=True)
class ReplayResult:
    rows: int
    rejected: int  # rows the core rejected plus rows that did not parse
    unparsable: int
    trades: int
    resting_orders: int
    core_seconds: float
    orders_per_second: float  # rows handled by the core per second of core time


def replay(in_path: str | Path, trades_path: str | Path, book_path: str | Path | None = None) -> ReplayResult:
    """Run the stream in `in_path` through a fresh engine; write trades (and the resting book if asked)."""
    with open(in_path, newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    commands = [_command(row) for row in rows]
    parsed = [command for command in commands if command is not None]

    engine = MatchingEngine(InstrumentRules(instrument=INSTRUMENT), phase=CONTINUOUS)
    trades, rejected_by_core, core_seconds = _run(engine, parsed)
    rejected = len(commands) - len(parsed) + rejected_by_core
    with open(trades_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(TRADES_HEADER)
        writer.writerows((t.trade_seq, t.buy_order_id, t.sell_order_id, t.price, t.quantity, t.aggressor_side)
                         for t in trades)
    resting = [(side, order) for side in (BUY, SELL) for order in engine.book.side(side).orders_best_first()]
    if book_path is not None:
        with open(book_path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(BOOK_HEADER)
            writer.writerows((side, order.price, order.order_id, order.remaining) for side, order in resting)
    return ReplayResult(
        rows=len(rows),
        rejected=rejected,
        unparsable=len(commands) - len(parsed),
        trades=len(trades),
        resting_orders=len(resting),
        core_seconds=core_seconds,
        orders_per_second=len(parsed) / core_seconds if core_seconds > 0 else 0.0,
    )


def _run(engine: MatchingEngine, commands: list) -> tuple[list[TradeExecuted], int, float]:
    """The core over `commands`: its trades, how many commands it rejected, and the seconds it took."""
    handle = engine.handle
    trades: list[TradeExecuted] = []
    keep = trades.append
    rejections = (OrderRejected, CommandRejected)
    rejected = 0
    collecting = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        started = perf_counter()
        for command in commands:
            for event in handle(command):
                kind = type(event)
                if kind is TradeExecuted:
                    keep(event)
                elif kind in rejections:
                    rejected += 1
        core_seconds = perf_counter() - started
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
    return trades, rejected, core_seconds


def _command(row: dict) -> SubmitOrder | CancelOrder | AmendOrder | None:
    """The core command for one CSV row, or None when a field does not parse."""
    try:
        op = _text(row, "op").upper()
        order_id = _text(row, "order_id")
        ts = _optional_int(row, "ts") or 0
        if op == "NEW":
            order_type = _text(row, "type").upper()
            return SubmitOrder(
                order_id=order_id,
                account=_text(row, "account"),
                side=_text(row, "side").upper(),
                quantity=int(_text(row, "qty")),
                price=None if order_type == MARKET else int(_text(row, "price")),
                order_type=order_type,
                time_in_force=_text(row, "tif").upper(),
                ts=ts,
            )
        if op == "CANCEL":
            return CancelOrder(order_id=order_id, ts=ts)
        if op == "AMEND":
            return AmendOrder(order_id=order_id, price=_optional_int(row, "price"),
                              quantity=_optional_int(row, "qty"), ts=ts)
    except ValueError:
        return None
    return None


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _optional_int(row: dict, column: str) -> int | None:
    text = _text(row, column)
    return int(text) if text else None
