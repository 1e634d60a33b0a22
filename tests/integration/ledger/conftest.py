"""Fixtures: a ledger on the session Redis with the test books opened, empty or funded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from shared.ledger import Ledger
from tests.integration.ledger.books import fund, open_books


@pytest.fixture
def ledger(redis_client: redis.Redis) -> Iterator[Ledger]:
    books = Ledger(redis_client)
    open_books(books)
    yield books


@pytest.fixture
def funded(ledger: Ledger) -> Ledger:
    fund(ledger)
    return ledger
