"""The trail of checks one evaluation runs: what the decision reports and the audit log records."""

from __future__ import annotations

from dataclasses import dataclass, field

from .decision import Check, CheckOutcome, Outcome, Refused
from .reasons import ReasonCode


@dataclass
class CheckTrail:
    """Collects check outcomes in order and turns a failed check into the refusal."""

    trade_id: str
    link_id: str | None = None
    _outcomes: list[CheckOutcome] = field(default_factory=list)

    def record(self, check: Check, outcome: Outcome, detail: str, code: ReasonCode | None = None) -> None:
        self._outcomes.append(CheckOutcome(check, outcome, detail, code))

    def passed(self, check: Check, detail: str) -> None:
        self.record(check, Outcome.PASSED, detail)

    def not_applicable(self, check: Check, detail: str) -> None:
        self.record(check, Outcome.NOT_APPLICABLE, detail)

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return tuple(self._outcomes)

    def refuse(self, check: Check, code: ReasonCode, **details: object) -> Refused:
        """Record ``check`` as failed with ``code`` and return the refusal (details: ints kept, the rest as text)."""
        pairs = tuple((key, value if isinstance(value, int) else str(value)) for key, value in details.items())
        self.record(check, Outcome.FAILED, ", ".join(f"{key}={value}" for key, value in pairs), code)
        return Refused(
            trade_id=self.trade_id,
            link_id=self.link_id,
            code=code,
            message=code.message,
            details=pairs,
            checks=self.outcomes(),
        )
