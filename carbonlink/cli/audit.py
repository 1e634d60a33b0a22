"""`carbonlink audit`: prove the books balance; JSON summary on stdout, exit 0 when they do and 1 otherwise."""

from __future__ import annotations

from carbonlink.cli.reports import print_report
from services.bridge.reconciliation import reconciliation_check
from services.settlement.trade_audit import run_audit
from shared.settings import load_settings


def audit() -> None:
    """Units, cash, reservations, journals, trade states and the bridge reconciliation (works with the stack
    running or stopped, as long as its Redis answers)."""
    settings = load_settings()
    print_report(settings, lambda client: run_audit(client, pending_timeout_s=settings.settlement_pending_timeout_s,
                                                    bridge_checks=[reconciliation_check]))
