"""The HTML pages (public: markets, one market, linkages, drill reports; operator: the console) and their
static assets under ``/ui/static``. Every page is a static shell that reads the JSON API from the browser;
a Content-Security-Policy keeps every script, style and connection on this origin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

router = APIRouter(include_in_schema=False)
router.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")

InstrumentPath = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / f"{name}.html", media_type="text/html",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/")


@router.get("/ui/")
async def overview() -> FileResponse:
    return _page("overview")


@router.get("/ui/markets/{instrument}")
async def market(instrument: InstrumentPath) -> FileResponse:
    return _page("market")


@router.get("/ui/links")
async def links() -> FileResponse:
    return _page("links")


@router.get("/ui/reports")
async def reports() -> FileResponse:
    return _page("reports")


@router.get("/ui/console")
async def console() -> FileResponse:
    return _page("console")
