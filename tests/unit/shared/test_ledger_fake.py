"""The in-memory fake of the ledger port keeps the port's contract (the Redis adapter runs the same suite in
tests/integration/ledger/test_ledger_contract.py)."""

from __future__ import annotations

import pytest

from tests.contracts.ledger import LedgerContract
from tests.fakes.ledger import InMemoryLedger


class TestInMemoryLedger(LedgerContract):
    @pytest.fixture
    def empty_ledger(self) -> InMemoryLedger:
        return InMemoryLedger()
