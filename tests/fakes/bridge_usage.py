"""An in-memory fake of the bridge's usage port (``services.bridge.usage.UsageReader``), for unit tests: the same
reads as the Redis adapter (``usage.reads``), answered from the in-memory ledger's hashes, decoded by the same
``usage.delivery_state``. The contract suite (``tests/contracts/bridge_usage.py``) runs on both."""

from __future__ import annotations

from services.bridge import rules
from services.bridge.usage import DeliveryState, delivery_state, reads
from tests.fakes.ledger import InMemoryLedger


class InMemoryUsageReader:
    """``UsageReader`` over an ``InMemoryLedger``: what its entries and set-up commands wrote."""

    def __init__(self, ledger: InMemoryLedger) -> None:
        self._hashes = ledger.hashes

    async def read_state(self, *, request: rules.TransferRequest, agreement: rules.LinkageAgreement | None,
                         period: int) -> DeliveryState:
        return delivery_state(request, agreement, [self._read(*read) for read in reads(request, agreement, period)])

    def _read(self, command: str, key: str, fields: tuple[str, ...]) -> object:
        found = self._hashes.get(key, {})
        if command == "hgetall":
            return dict(found)
        values = [found.get(field) for field in fields]
        return values if command == "hmget" else values[0]
