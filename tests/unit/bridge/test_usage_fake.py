"""The in-memory fake of the bridge's usage port keeps the port's contract (the Redis adapter runs the same suite
in tests/integration/bridge/test_usage_contract.py)."""

from __future__ import annotations

import pytest

from tests.contracts.bridge_usage import UsageReaderContract
from tests.fakes.bridge_usage import InMemoryUsageReader
from tests.fakes.ledger import InMemoryLedger


class TestInMemoryUsageReader(UsageReaderContract):
    @pytest.fixture
    def empty_ledger(self) -> InMemoryLedger:
        return InMemoryLedger()

    @pytest.fixture
    def usage(self, empty_ledger: InMemoryLedger) -> InMemoryUsageReader:
        return InMemoryUsageReader(empty_ledger)
