"""The call auction: its uncross price, and the uncross itself.

Among the prices of the orders on the book, the uncross price is the one that maximises the executed
volume, then minimises the imbalance (|bid volume - ask volume| at that price), then is nearest the
reference price; a tie that remains (or no reference) goes to the lower price.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from services.matching.core.book import Book, BookSide, Order
from services.matching.core.events import Event, TradeExecuted
from services.matching.core.min_fill import allowed_fill


def uncross_price(book: Book, reference: int | None) -> int | None:
    """The price to uncross `book` at, or None when nothing can execute."""
    if not book.is_crossed():
        return None
    bid_prices = sorted(book.bids.levels)
    ask_prices = sorted(book.asks.levels)
    bid_qty = [book.bids.levels[p].quantity for p in bid_prices]
    # bids_at_or_above[i]: bid volume at prices >= bid_prices[i]; asks_at_or_below[i]: ask volume <= ask_prices[i]
    bids_at_or_above = list(accumulate(reversed(bid_qty)))[::-1] + [0]
    asks_at_or_below = [0] + list(accumulate(book.asks.levels[p].quantity for p in ask_prices))
    best_key = None
    best_price = None
    for price in sorted(set(bid_prices) | set(ask_prices)):
        buy = bids_at_or_above[bisect_left(bid_prices, price)]
        sell = asks_at_or_below[bisect_right(ask_prices, price)]
        executed = min(buy, sell)
        if not executed:
            continue
        distance = abs(price - reference) if reference is not None else 0
        key = (-executed, abs(buy - sell), distance, price)
        if best_key is None or key < best_key:
            best_key, best_price = key, price
    return best_price


def uncross(engine, ts: int, out: list[Event], touched: dict[tuple[str, int], None]) -> None:
    """Execute `engine`'s call auction at the uncross price: bids best price first, FIFO, each against the asks
    in the same order, passing over an ask it may not fill with (`min_fill`); that ask stays for the next bid."""
    reference = engine.reference_price if engine.reference_price is not None else engine.last_trade_price
    price = uncross_price(engine.book, reference)
    if price is None:
        return
    bids, asks, instrument, lot = engine.book.bids, engine.book.asks, engine.instrument, engine.rules.lot
    buyers = [order for order in bids.orders_best_first() if order.price >= price]
    sellers = [order for order in asks.orders_best_first() if order.price <= price]
    first = 0  # sellers before it are filled
    traded = False
    for bid in buyers:
        at = first
        while bid.remaining and at < len(sellers):
            ask = sellers[at]
            at += 1
            if not ask.remaining:
                continue
            fill = allowed_fill(bid.remaining, bid.min_fill, ask.remaining, ask.min_fill, lot)
            if not fill:
                continue
            for order, book_side in ((bid, bids), (ask, asks)):
                _execute(engine, order, book_side, fill, touched)
            while first < len(sellers) and not sellers[first].remaining:
                first += 1
            maker, taker = (bid, ask) if bid.priority < ask.priority else (ask, bid)
            engine.trade_seq += 1
            engine.seq += 1
            traded = True
            out.append(TradeExecuted(
                instrument, engine.seq, ts, f"{instrument}:T{engine.trade_seq}", engine.trade_seq, price, fill, None,
                maker.order_id, taker.order_id, maker.account, taker.account, bid.order_id, ask.order_id,
                bid.account, ask.account, bid.remaining, ask.remaining))
    if traded:
        engine.last_trade_price = price
        if engine.breaker is not None:
            engine.breaker.reset(price)


def _execute(engine, order: Order, book_side: BookSide, fill: int, touched: dict[tuple[str, int], None]) -> None:
    """Take `fill` off a resting order; a filled order leaves its level (lazily: see `book`)."""
    level = book_side.levels[order.price]
    order.remaining -= fill
    level.quantity -= fill
    touched[(book_side.side, level.price)] = None
    if not order.remaining:
        level.count -= 1
        del engine.orders[order.order_id]
        if not level.count:
            book_side.drop_level(level.price)
