"""The cross-registry bridge: judges each cross-border delivery with the pure rule engine (``rules``) and executes
an approval as one atomic ledger entry; keeps the audit log, net flows and corresponding adjustments.

Entry points for other parts of Carbonlink:

- ``service.main(ctx)`` — the Kafka service (``python -m services.bridge``);
- ``decisions.Bridge(redis, producer, ledger=..., usage=...).handle(request)`` — judge and act on one
  ``DeliveryRequested`` (ports: ``ledger`` a ``shared.ledger.LedgerPort``, ``usage`` a ``usage.UsageReader``);
- ``link_operations.execute(redis, producer, command, bridge=..., command_id=..., at=...)`` — an operator's
  command on a link (``SuspendLink``, ``ResumeLink``, ``TerminateLink`` from ``bridge.commands``).

What others read of the bridge's state is documented in ``shared.read_models.linkage`` (quota use, net flows,
adjustments) and ``shared.read_models.link_commands`` (results of link commands).

Its audit (``carbonlink.audit.reconciliation``) is tooling and lives in ``carbonlink``.
"""
