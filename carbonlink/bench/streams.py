"""Seeded command streams for the matching benchmarks: the standard mixed stream and the deep-book stream.

Both are lists of core commands (`services.matching.core`) for one instrument in continuous trading with the
benchmark's rules (tick 1, lot 1, no band, no self-trade prevention), deterministic for a seed.
"""

from __future__ import annotations

import random

from services.matching.core import AmendOrder, CancelOrder, SubmitOrder
from services.matching.core.vocabulary import BUY, FOK, GTC, IOC, LIMIT, MARKET, POST_ONLY, SELL

MID = 10_000
ACCOUNTS = tuple(f"CN-BJ/trader-{n}" for n in range(50)) + tuple(f"KR/trader-{n}" for n in range(50))


def generate_stream(n_orders: int = 200_000, seed: int = 7) -> list[object]:
    """A deterministic mixed stream of `n_orders` commands around a slowly drifting mid price.

    Roughly: 52% resting limit adds (some crossing), 14% cancels, 10% amends, 8% IOC, 4% FOK,
    7% market, 5% post-only.
    """
    rng = random.Random(seed)
    mid = MID
    live: list[str] = []
    stream: list[object] = []
    for n in range(n_orders):
        ts = n
        if n % 100 == 0:
            mid += rng.randint(-5, 5)
        roll = rng.random()
        if roll < 0.14 and live:
            stream.append(CancelOrder(order_id=live.pop(rng.randrange(len(live))), ts=ts))
            continue
        if roll < 0.24 and live:
            order_id = live[rng.randrange(len(live))]
            if rng.random() < 0.5:
                stream.append(AmendOrder(order_id=order_id, quantity=rng.randint(1, 20), ts=ts))
            else:
                stream.append(AmendOrder(order_id=order_id, price=mid + rng.randint(-30, 30),
                                         quantity=rng.randint(1, 50), ts=ts))
            continue
        side = BUY if rng.random() < 0.5 else SELL
        away = rng.randint(-8, 40)  # negative: crosses the mid
        price = mid - away if side == BUY else mid + away
        order_id = f"o{n}"
        account = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
        quantity = rng.randint(1, 50)
        if roll < 0.76:
            order_type, tif = LIMIT, GTC
            live.append(order_id)
            if len(live) > 20_000:
                live.pop(0)
        elif roll < 0.84:
            order_type, tif = LIMIT, IOC
        elif roll < 0.88:
            order_type, tif = LIMIT, FOK
        elif roll < 0.95:
            order_type, tif, price = MARKET, IOC, None
        else:
            order_type, tif = POST_ONLY, GTC
            live.append(order_id)
        stream.append(SubmitOrder(order_id=order_id, account=account, side=side, quantity=quantity, price=price,
                                  order_type=order_type, time_in_force=tif, ts=ts))
    return stream


def deep_book_stream(n_orders: int = 200_000, seed: int = 11, *, depth: int = 12_000,
                     half_width: int = 300) -> list[object]:
    """A book of `depth` resting orders spread over up to 2 x `half_width` price levels, then `n_orders`
    mixed commands that keep it deep.

    The mixed part, roughly: 15% cancels and 8% amends (a tenth of each name an order already cancelled, and
    more name orders filled meanwhile), 24% resting limit adds all over the book, 5% post-only adds, 7%
    crossing limit adds, 18% IOC, 11% FOK, 12% market (IOC). With the defaults the book holds 11-19k orders
    on ~450-550 levels throughout. The prefill commands are not counted in `n_orders`.
    """
    rng = random.Random(seed)
    mid = MID
    live: list[str] = []
    dead: list[str] = []
    stream: list[object] = []

    def passive(n: int, ts: int, order_type: str = LIMIT) -> SubmitOrder:
        side = BUY if rng.random() < 0.5 else SELL
        away = 1 + int(half_width * rng.random() ** 1.5)  # denser near the touch, as real books are
        order_id = f"d{n}"
        live.append(order_id)
        return SubmitOrder(order_id=order_id, account=ACCOUNTS[rng.randrange(len(ACCOUNTS))], side=side,
                           quantity=rng.randint(1, 50), price=mid - away if side == BUY else mid + away,
                           order_type=order_type, time_in_force=GTC, ts=ts)

    def named(ts: int) -> str:
        if dead and rng.random() < 0.1:
            return dead[rng.randrange(len(dead))]
        at = rng.randrange(len(live))
        live[at], live[-1] = live[-1], live[at]
        return live[-1]

    for n in range(depth):
        stream.append(passive(n, 0))
    for n in range(depth, depth + n_orders):
        ts = n - depth + 1
        if n % 200 == 0:
            mid += rng.randint(-3, 3)
        roll = rng.random()
        if roll < 0.15:
            order_id = named(ts)
            if live and live[-1] == order_id:
                dead.append(live.pop())
            stream.append(CancelOrder(order_id=order_id, ts=ts))
        elif roll < 0.23:
            order_id = named(ts)
            if rng.random() < 0.6:
                stream.append(AmendOrder(order_id=order_id, quantity=rng.randint(1, 30), ts=ts))
            else:
                stream.append(AmendOrder(order_id=order_id, price=mid + rng.randint(-half_width, half_width),
                                         quantity=rng.randint(1, 50), ts=ts))
        elif roll < 0.47:
            stream.append(passive(n, ts))
        elif roll < 0.52:
            stream.append(passive(n, ts, POST_ONLY))
        else:
            side = BUY if rng.random() < 0.5 else SELL
            price = mid + rng.randint(0, 6) if side == BUY else mid - rng.randint(0, 6)
            order_type, tif = LIMIT, GTC
            if roll < 0.59:
                live.append(f"d{n}")
            elif roll < 0.77:
                tif = IOC
            elif roll < 0.88:
                tif = FOK
            else:
                order_type, tif, price = MARKET, IOC, None
            stream.append(SubmitOrder(order_id=f"d{n}", account=ACCOUNTS[rng.randrange(len(ACCOUNTS))], side=side,
                                      quantity=rng.randint(1, 80), price=price, order_type=order_type,
                                      time_in_force=tif, ts=ts))
    return stream
