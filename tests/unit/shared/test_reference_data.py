"""The in-memory fake of the reference-data port keeps the port's contract (the Redis adapter runs the same suite
in tests/integration/foundation/test_reference_store.py)."""

from __future__ import annotations

import pytest

from tests.contracts.reference_data import ReferenceDataContract
from tests.fakes.reference_data import InMemoryReferenceData


class TestInMemoryReferenceData(ReferenceDataContract):
    @pytest.fixture
    def reference(self) -> InMemoryReferenceData:
        return InMemoryReferenceData()
