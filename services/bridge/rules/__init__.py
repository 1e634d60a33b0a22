"""The pure linkage rule engine of the cross-registry bridge (standard library only; no I/O, clock or randomness).

``evaluate(request, agreement, usage)`` judges one cross-registry delivery; ``find_agreement`` picks the directed
rule that applies; ``net_flows`` and ``plan_suspension`` serve reconciliation and delinking.
"""

from shared.conversion import Split

from .agreement import (
    Conversion,
    Eligibility,
    InFlightPolicy,
    Levies,
    LinkageAgreement,
    LinkKind,
    LinkStatus,
    QuantityLimits,
    SuspensionPolicy,
    bilateral,
    min_fill,
    multilateral,
    resume,
    reverse_rate,
    split_quantity,
    suspend,
    terminate,
    unilateral,
)
from .calendar import SettlementCalendar, Weekday, calendar_year, weekday_of
from .decision import (
    Adjustment,
    Approved,
    Check,
    CheckOutcome,
    Decision,
    Deferred,
    Outcome,
    QuotaCounter,
    QuotaUse,
    Refused,
)
from .engine import evaluate, settles_despite_suspension
from .lookup import covers, find_agreement
from .netflow import DirectedFlow, PairBalance, net_flows, pair_balance
from .reasons import ReasonCode
from .request import TransferRequest, Usage
from .suspension import MassCancel, SuspensionPlan, plan_suspension
from .units import UnitClass, UnitType, registry_of

__all__ = [
    "Adjustment",
    "Approved",
    "Check",
    "CheckOutcome",
    "Conversion",
    "Decision",
    "Deferred",
    "DirectedFlow",
    "Eligibility",
    "InFlightPolicy",
    "Levies",
    "LinkKind",
    "LinkStatus",
    "LinkageAgreement",
    "MassCancel",
    "Outcome",
    "PairBalance",
    "QuantityLimits",
    "QuotaCounter",
    "QuotaUse",
    "ReasonCode",
    "Refused",
    "SettlementCalendar",
    "Split",
    "SuspensionPlan",
    "SuspensionPolicy",
    "TransferRequest",
    "UnitClass",
    "UnitType",
    "Usage",
    "Weekday",
    "bilateral",
    "calendar_year",
    "covers",
    "evaluate",
    "find_agreement",
    "min_fill",
    "multilateral",
    "net_flows",
    "pair_balance",
    "plan_suspension",
    "registry_of",
    "resume",
    "reverse_rate",
    "settles_despite_suspension",
    "split_quantity",
    "suspend",
    "terminate",
    "unilateral",
    "weekday_of",
]
