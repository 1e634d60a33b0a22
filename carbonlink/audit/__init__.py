"""Audits of the books, run by operators and drills (tooling: the services keep only what runs in production).

- ``ledger``: units, cash, reservations, negative balances and journal replay from one snapshot;
- ``trades``: every trade settled, failed with a reason, or pending briefly, and settled once; ``run_audit``;
- ``reconciliation``: the registries' journals, the bridge's audit log and its net flows agree;
- ``stranded``: nothing stranded between services (orders PENDING_NEW too long, reservations no live order
  holds, trades matched but neither settled nor refused);
- ``publish``: the latest report into the ``shared.read_models.audit`` read model the operator console shows.
"""
