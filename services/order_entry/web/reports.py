"""Drill reports, read-only: ``GET /v1/reports`` lists every run directory holding a ``report.html`` (under
``{var_dir}/reports`` and ``./reports``), and ``GET /reports/{source}/{path}`` serves a file of one of them.
Nothing outside those two directories is ever served."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from services.order_entry.errors import ApiError, error_responses

router = APIRouter(tags=["drill reports"], responses=error_responses(404))

REPORT = "report.html"


class ReportView(BaseModel):
    source: str
    run: str
    url: str
    modified_at: int
    audit_ok: bool | None
    trades: int | None


def report_roots(var_dir: Path) -> dict[str, Path]:
    """Where drill runs are written: the stack's state directory and the working directory's ``reports``."""
    return {"var": var_dir / "reports", "local": Path("reports")}


def _summary(run_dir: Path) -> dict:
    try:
        data = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def list_reports(roots: dict[str, Path]) -> list[ReportView]:
    """Every run (one or two directory levels deep) with a report, newest first."""
    out = []
    for source, root in roots.items():
        if not root.is_dir():
            continue
        for report in [*root.glob(f"*/{REPORT}"), *root.glob(f"*/*/{REPORT}")]:
            run = report.parent.relative_to(root).as_posix()
            summary = _summary(report.parent)
            audit_ok = summary.get("audit_ok")
            trades = summary.get("trades")
            out.append(ReportView(source=source, run=run, url=f"/reports/{source}/{run}/{REPORT}",
                                  modified_at=int(report.stat().st_mtime * 1000),
                                  audit_ok=audit_ok if isinstance(audit_ok, bool) else None,
                                  trades=trades if isinstance(trades, int) else None))
    return sorted(out, key=lambda r: r.modified_at, reverse=True)


def resolve_inside(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names under ``root``, or None when it is missing or escapes the root."""
    base = root.resolve()
    try:
        target = (base / relative).resolve()
        return target if target.is_relative_to(base) and target.is_file() else None
    except (OSError, RuntimeError, ValueError):  # e.g. a NUL byte or a name too long
        return None


@router.get("/v1/reports", response_model=list[ReportView])
async def reports(request: Request) -> list[ReportView]:
    """The drill runs that left a report, newest first."""
    return list_reports(report_roots(request.app.state.ctx.settings.var_dir))


@router.get("/reports/{source}/{path:path}", response_class=FileResponse)
async def report_file(source: str, path: str, request: Request) -> FileResponse:
    """One file of a drill run (the report, its plots and CSVs)."""
    root = report_roots(request.app.state.ctx.settings.var_dir).get(source)
    target = None if root is None else resolve_inside(root, path)
    if target is None:
        raise ApiError(404, "REPORT_NOT_FOUND", "no such report file", {"source": source, "path": path[:200]})
    return FileResponse(target)
