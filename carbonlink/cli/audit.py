"""`carbonlink audit`: prove the books balance; JSON summary on stdout, exit 0 when they do and 1 otherwise."""

from __future__ import annotations

import redis

from carbonlink.cli.reports import print_report
from carbonlink.stranded_audit import stranded_checks
from services.bridge.reconciliation import reconciliation_check
from services.settlement.ledger_audit import AuditReport
from services.settlement.trade_audit import run_audit
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
    print_report(settings, lambda client: exchange_audit(client, settings))
