"""Builds the compiled copy of the matching core (`make install`): `python -m carbonlink.compiled_core [build|status]`.

The hot modules of `services/matching/core` are copied into the package `matching_core_compiled` (their imports
of one another rewritten to the copy; events, commands, rules and vocabulary stay the pure package's, so both
builds make equal events from the same commands) and compiled with mypyc; the modules that reach into the book
but run rarely are copied and stay interpreted. The copy builds its events with `build` from
`compiled_core_event_build.c` (what `tuple.__new__(cls, fields)` returns, made in one allocation instead of four).
The package goes to `build/matching-core/` (a `.pth` file in the
venv puts it on the path) with the hash of the sources it was made from: `services.matching.core.selection` uses
it only while that hash matches. A build that fails leaves no package (an older one is removed too), says so on
stderr and exits 0 (`install` goes on; the pure core is used).

`status` prints the build `MatchingEngine` resolves to in this environment (`compiled` or `pure`) and why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "services" / "matching" / "core"
BUILD_DIR = ROOT / "build" / "matching-core"
PTH = "carbonlink-matching-core-compiled.pth"
EVENT_BUILD = Path(__file__).with_name("compiled_core_event_build.c")
COMPILED = ("book", "continuous", "engine", "min_fill", "order_changes", "validation")
INTERPRETED = ("auction", "phases", "snapshot")  # they build orders or call into the book: they need the copy's


COMPILED_PACKAGE = "matching_core_compiled"  # as services.matching.core.selection names it


def rewrite_imports(text: str) -> str:
    """The copy's imports of the copied modules name the copy; every other import is left as it is."""
    copied = COMPILED + INTERPRETED

    def module(match: re.Match) -> str:
        name = match.group(1)
        return f"from {COMPILED_PACKAGE}.{name} import" if name in copied else match.group(0)

    def names(match: re.Match) -> str:
        imported = [part.split(" as ")[0].strip() for part in match.group(1).split(",")]
        if all(name in copied for name in imported):
            return f"from {COMPILED_PACKAGE} import {match.group(1)}"
        if any(name in copied for name in imported):
            raise ValueError(f"mixed import of copied and shared modules: {match.group(0)!r}")
        return match.group(0)

    def event_build(match: re.Match) -> str:
        imported = [name.strip() for name in match.group(1).strip("()").replace("\n", " ").split(",")]
        if "build" not in imported:
            return match.group(0)
        kept = ", ".join(name for name in imported if name and name != "build")
        return (f"from services.matching.core.events import {kept}\n"
                f"from {COMPILED_PACKAGE}._event_build import build\n")

    text = re.sub(r"from services\.matching\.core\.events import (\([^)]*\)|[^\n]*)\n", event_build, text)
    text = re.sub(r"from services\.matching\.core\.(\w+) import", module, text)
    return re.sub(r"from services\.matching\.core import ([\w ,]+)$", names, text, flags=re.MULTILINE)


def build() -> None:
    os.environ["CARBONLINK_MATCHING_CORE"] = "pure"  # importing the core must not load (or warn about) the old copy
    from services.matching.core.selection import source_hash

    started = time.monotonic()
    staging = BUILD_DIR.with_name(BUILD_DIR.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    package = staging / COMPILED_PACKAGE
    package.mkdir(parents=True)
    digest = source_hash()
    (package / "__init__.py").write_text(
        f'"""A compiled copy of services.matching.core, made by carbonlink/compiled_core.py: do not edit."""\n\n'
        f'SOURCE_HASH = "{digest}"\n')
    for name in COMPILED + INTERPRETED:
        (package / f"{name}.py").write_text(rewrite_imports((SOURCES / f"{name}.py").read_text()))
    shutil.copy(EVENT_BUILD, package / "_event_build.c")
    (package / "_event_build.pyi").write_text("from typing import Any\n\ndef build(cls: type, fields: tuple) -> Any: ...\n")
    paths = [f"{COMPILED_PACKAGE}/{name}.py" for name in COMPILED]
    setup = ("import sys; from setuptools import Extension, setup; from mypyc.build import mypycify; "
             f"setup(name={COMPILED_PACKAGE!r}, ext_modules=mypycify(sys.argv[1:] + ['--follow-imports=silent'], "
             f"opt_level='3', group_name={COMPILED_PACKAGE!r}) + [Extension({COMPILED_PACKAGE + '._event_build'!r}, "
             f"[{COMPILED_PACKAGE + '/_event_build.c'!r}], extra_compile_args=['-O2'])], "
             "script_args=['build_ext', '--inplace', '--build-temp', 'tmp'])")
    env = {**os.environ, "MYPYPATH": str(ROOT), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", setup, *paths], cwd=staging, env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(BUILD_DIR, ignore_errors=True)  # no older build either: what the message says is what runs
        _loud(f"compiling the matching core failed (exit {result.returncode}); the pure-Python core will be used.\n"
              + (result.stdout + result.stderr)[-3000:])
        return
    shutil.rmtree(staging / "tmp", ignore_errors=True)
    shutil.rmtree(staging / "build", ignore_errors=True)
    for path in [*paths, f"{COMPILED_PACKAGE}/_event_build.c", f"{COMPILED_PACKAGE}/_event_build.pyi"]:
        (staging / path).unlink()  # the extension modules only: no source beside them to drift from the core's
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    staging.rename(BUILD_DIR)
    (Path(sysconfig.get_paths()["purelib"]) / PTH).write_text(f"{BUILD_DIR}\n")
    print(f"compiled matching core built in {time.monotonic() - started:.0f} s ({BUILD_DIR})")


def status() -> int:
    from services.matching.core.selection import compiled_engine_module

    module, why = compiled_engine_module()
    print("compiled" if module is not None else f"pure ({why})")
    return 0


def _loud(message: str) -> None:
    bar = "!" * 100
    print(f"{bar}\n!! {message}\n{bar}", file=sys.stderr)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "build"
    if command == "build":
        try:
            build()
        except Exception as error:  # noqa: BLE001 - install must go on with the pure core
            _loud(f"compiling the matching core failed ({error!r}); the pure-Python core will be used.")
    elif command == "status":
        sys.exit(status())
    else:
        sys.exit(f"usage: python -m carbonlink.compiled_core [build|status], not {command!r}")
