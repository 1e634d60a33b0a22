"""The HTML pages (public: markets, one market, linkages, drill reports; operator: the console) and their
static assets under ``/ui/static``. Every page is ``layout.html`` (head, navigation) around its own fragment in
``pages/``, composed once at import; it reads the JSON API from the browser, and a Content-Security-Policy
keeps every script, style and connection on this origin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

router = APIRouter(include_in_schema=False)
router.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")

InstrumentPath = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


#: the navigation bar: (path, label)
NAV = (("/ui/", "Markets"), ("/ui/links", "Linkages"), ("/ui/reports", "Drill reports"),
       ("/ui/console", "Operator console"))
#: page → (title, its entry in the navigation bar, if any)
PAGES = {"overview": ("Markets", "/ui/"), "market": ("Market", None), "links": ("Linkages", "/ui/links"),
         "reports": ("Drill reports", "/ui/reports"), "console": ("Operator console", "/ui/console")}


def _compose(name: str, layout: str) -> str:
    title, current = PAGES[name]
    current_mark = ' aria-current="page"'
    nav = "".join(f'    <a href="{path}"{current_mark if path == current else ""}>{label}</a>\n' for path, label in NAV)
    parts = {"title": title, "page": name, "nav": nav, "main": (WEB_DIR / "pages" / f"{name}.html").read_text()}
    for placeholder, value in parts.items():
        layout = layout.replace("{{" + placeholder + "}}", value)
    return layout


_LAYOUT = (WEB_DIR / "layout.html").read_text()
_HTML = {name: _compose(name, _LAYOUT) for name in PAGES}


def _page(name: str) -> HTMLResponse:
    return HTMLResponse(_HTML[name], headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/")


@router.get("/ui/")
async def overview() -> HTMLResponse:
    return _page("overview")


@router.get("/ui/markets/{instrument}")
async def market(instrument: InstrumentPath) -> HTMLResponse:
    return _page("market")


@router.get("/ui/links")
async def links() -> HTMLResponse:
    return _page("links")


@router.get("/ui/reports")
async def reports() -> HTMLResponse:
    return _page("reports")


@router.get("/ui/console")
async def console() -> HTMLResponse:
    return _page("console")
