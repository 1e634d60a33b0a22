"""The cross-registry bridge: judges each cross-border delivery with the pure rule engine (``rules``) and executes
an approval as one atomic ledger entry; keeps the audit log, net flows and corresponding adjustments.

Entry points for other parts of Carbonlink:

- ``service.main(ctx)`` — the Kafka service (``python -m services.bridge``);
- ``decisions.Bridge(redis, producer).handle(request)`` — judge and act on one ``DeliveryRequested``;
- ``link_operations.suspend_link / resume_link / terminate_link(redis, producer, link_id, at=...)``;
- ``flows.adjustments(redis, period)``, ``flows.net_flows(redis)``, ``flows.pair_balance(redis, a, b)``.

Its audit (``carbonlink.audit.reconciliation``) is tooling and lives in ``carbonlink``.
"""
