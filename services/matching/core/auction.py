"""The call auction: its uncross price, and the uncross itself.

Among the prices of the orders on the book, the uncross price is the one that maximises the executed
volume, then minimises the imbalance (|bid volume - ask volume| at that price), then is nearest the
reference price; a tie that remains (or no reference) goes to the lower price.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from services.matching.core.book import Book
from services.matching.core.events import Event, TradeExecuted


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
    """Execute `engine`'s call auction at the uncross price: best price first, FIFO within each price."""
    reference = engine.reference_price if engine.reference_price is not None else engine.last_trade_price
    price = uncross_price(engine.book, reference)
    if price is None:
        return
    bids, asks, instrument = engine.book.bids, engine.book.asks, engine.instrument
    while bids.keys and asks.keys and bids.keys[-1] >= price and -asks.keys[-1] <= price:
        bid_level, ask_level = bids.levels[bids.keys[-1]], asks.levels[-asks.keys[-1]]
        bid, ask = bid_level.head(), ask_level.head()
        fill = min(bid.remaining, ask.remaining)
        for order, level, book_side in ((bid, bid_level, bids), (ask, ask_level, asks)):
            order.remaining -= fill
            level.quantity -= fill
            touched[(book_side.side, level.price)] = None
            if not order.remaining:
                level.orders.popleft()
                level.count -= 1
                del engine.orders[order.order_id]
                if not level.count:
                    book_side.drop_level(level.price)
        maker, taker = (bid, ask) if bid.priority < ask.priority else (ask, bid)
        engine.trade_seq += 1
        engine.seq += 1
        out.append(TradeExecuted(
            instrument, engine.seq, ts, f"{instrument}:T{engine.trade_seq}", engine.trade_seq, price, fill, None,
            maker.order_id, taker.order_id, maker.account, taker.account, bid.order_id, ask.order_id,
            bid.account, ask.account, bid.remaining, ask.remaining))
    engine.last_trade_price = price
    if engine.breaker is not None:
        engine.breaker.reset(price)
