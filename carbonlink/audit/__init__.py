"""Audits of the books, run by operators and drills (tooling: the services keep only what runs in production).

- ``ledger``: units, cash, reservations, negative balances and journal replay from one snapshot;
- ``trades``: every trade settled, failed with a reason, or pending briefly, and settled once; ``run_audit``;
- ``reconciliation``: the registries' journals, the bridge's audit log and its net flows agree;
- ``publish``: the latest report into the ``shared.read_models.audit`` read model the operator console shows.
"""
