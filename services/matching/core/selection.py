"""Which build of the core `MatchingEngine` is: the pure-Python reference in this package, or a compiled copy.

`make install` compiles a copy of this package's hot modules with mypyc into the package `matching_core_compiled`
(`carbonlink/compiled_core.py`, in `build/matching-core/`), recording the hash of this package's sources it was
made from. The copy is used only while that hash matches the sources here, so an edited core never runs a stale
compiled one. `CARBONLINK_MATCHING_CORE` chooses: `auto` (the default: compiled when built and current, else
pure), `pure`, or `compiled` (fails when the build is missing or stale). Both builds pass the same unit tests
(`tests/unit/matching`, run on each by `make test`).

The only file reading in the core, and only at import: the sources' hash.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

ENV = "CARBONLINK_MATCHING_CORE"
CHOICES = ("auto", "pure", "compiled")
COMPILED_PACKAGE = "matching_core_compiled"


def source_hash() -> str:
    """The hash of every module of this package (names and bytes): what a compiled copy must have been made from."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def compiled_engine_module() -> tuple[ModuleType | None, str]:
    """The compiled copy's `engine` module if it is built and made from the current sources, else None and why."""
    try:
        package = importlib.import_module(COMPILED_PACKAGE)
    except ImportError:
        return None, "not built (make install builds it)"
    if getattr(package, "SOURCE_HASH", None) != source_hash():
        return None, "stale: the core's sources changed since it was built (make install rebuilds it)"
    try:
        return importlib.import_module(f"{COMPILED_PACKAGE}.engine"), ""
    except ImportError as error:
        return None, f"does not load: {error}"


def choose() -> tuple[type, str]:
    """(the MatchingEngine class, "pure" or "compiled") as `CARBONLINK_MATCHING_CORE` asks."""
    from services.matching.core.engine import MatchingEngine

    choice = os.environ.get(ENV, "auto") or "auto"
    if choice not in CHOICES:
        raise ValueError(f"{ENV}={choice!r}: expected one of {', '.join(CHOICES)}")
    if choice == "pure":
        return MatchingEngine, "pure"
    module, why = compiled_engine_module()
    if module is not None:
        return module.MatchingEngine, "compiled"
    if choice == "compiled":
        raise ImportError(f"{ENV}=compiled, but the compiled matching core is {why}")
    if why.startswith("stale") or why.startswith("does not load"):
        print(f"carbonlink: the compiled matching core is {why}; using the pure-Python core", file=sys.stderr)
    return MatchingEngine, "pure"
