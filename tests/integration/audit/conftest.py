"""Fixtures of the audit tests (`carbonlink/audit`): the bridge's, for the reconciliation, which audits the books a
real bridge wrote; the other checks write the state they audit by hand."""

from tests.integration.bridge.conftest import aredis, bridge, ledger, producer, settings

__all__ = ["aredis", "bridge", "ledger", "producer", "settings"]
