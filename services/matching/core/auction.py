"""The call auction's uncross price.

Among the prices of the orders on the book, the uncross price is the one that maximises the executed
volume, then minimises the imbalance (|bid volume - ask volume| at that price), then is nearest the
reference price; a tie that remains (or no reference) goes to the lower price.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from services.matching.core.book import Book


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
