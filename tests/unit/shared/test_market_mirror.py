"""The in-memory fake of the market-mirror port keeps the port's contract (the Redis adapter runs the same suite
in tests/integration/matching/test_market_mirror_contract.py)."""

from __future__ import annotations

import pytest

from services.matching import book_mirror
from tests.contracts.market_mirror import MarketMirrorContract, Write
from tests.fakes.market_mirror import InMemoryMarketMirror


class TestInMemoryMarketMirror(MarketMirrorContract):
    @pytest.fixture
    def mirror(self) -> InMemoryMarketMirror:
        return InMemoryMarketMirror()

    @pytest.fixture
    def write(self, mirror: InMemoryMarketMirror) -> Write:
        async def write(ops: book_mirror.Ops) -> None:
            mirror.apply(ops)

        return write
