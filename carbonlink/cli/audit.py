"""`carbonlink audit`: prove the books balance; JSON summary on stdout, exit 0 when they do and 1 otherwise.

Each report is also recorded as the latest audit (``shared.read_models.audit``), which the operator console shows.
"""

from __future__ import annotations

import redis

from carbonlink.audit.ledger import AuditReport
from carbonlink.audit.publish import publish_audit
from carbonlink.audit.reconciliation import reconciliation_check
from carbonlink.audit.stranded import stranded_checks
from carbonlink.audit.trades import run_audit
from carbonlink.cli.reports import print_report
from shared.settings import Settings, load_settings


def exchange_audit(client: redis.Redis, settings: Settings) -> AuditReport:
    """Every check `carbonlink audit` runs, over the Redis `client` of the stack `settings` describe."""
    stranded = stranded_checks(client=client, pending_new_timeout_s=settings.pending_new_timeout_s,
                               settlement_window_s=settings.settlement_pending_timeout_s)
    return run_audit(client, pending_timeout_s=settings.settlement_pending_timeout_s,
                     bridge_checks=[reconciliation_check, *stranded])


def audit() -> None:
    """Units, cash, reservations, journals, trade states, the bridge reconciliation, and state stranded between
    services: orders PENDING_NEW too long, reservations no live order holds, trades matched but never settled
    (works with the stack running or stopped, as long as its Redis answers)."""
    settings = load_settings()

    def audit_and_record(client: redis.Redis) -> AuditReport:
        report = exchange_audit(client, settings)
        publish_audit(client, report)
        return report

    print_report(settings, audit_and_record)
