"""`carbonlink bench profile` (`make profile`): py-spy on every service of the running stack while the service
benchmarks run, and the top frames of each, as text.

py-spy samples a process from outside without changing it. It is not a project dependency: `make profile`
installs it into the venv. Each service's samples go to ``{out}/{service}.txt`` (py-spy's raw format: one line
per distinct stack with its count, for flame-graph tools), and the summary ranks functions by their own
samples ("own": where the CPU is spent) and by the samples they are on the stack for ("inclusive").
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

_LOCATION = re.compile(r" \(([^()]*)\)$")
_ROOT = str(Path(__file__).resolve().parents[2]) + "/"


def _short(location: re.Match) -> str:
    """A frame's file relative to the repository or to site-packages (the standard library: its file name)."""
    path = location.group(1)
    if "site-packages/" in path:
        return f" ({path.rpartition('site-packages/')[2]})"
    if path.startswith(_ROOT):
        return f" ({path[len(_ROOT):]})"
    return f" ({path.rpartition('/')[2]})" if path.startswith("/") else f" ({path})"


def py_spy() -> str:
    """The py-spy executable: beside the running Python (the venv), else on PATH."""
    here = Path(sys.executable).with_name("py-spy")
    found = str(here) if here.exists() else shutil.which("py-spy")
    if found is None:
        raise FileNotFoundError("py-spy is not installed: `.venv/bin/pip install py-spy` (or `make profile`)")
    return found


def record(pids: dict[str, int], out: Path, *, seconds: int, rate: int = 100) -> list[subprocess.Popen]:
    """Start one py-spy per pid, sampling for `seconds`; wait for them with `finish`."""
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([py_spy(), "record", "--nonblocking", "-r", str(rate), "-d", str(seconds), "-f", "raw",
                              "-o", str(out / f"{name}.txt"), "--pid", str(pid)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, pid in pids.items()]


def finish(recorders: Iterable[subprocess.Popen], timeout: float = 120.0) -> None:
    for recorder in recorders:
        try:
            recorder.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            recorder.terminate()


def top_frames(raw: str, n: int = 15) -> dict:
    """From py-spy raw output: samples, and the `n` functions with most own and most inclusive samples (shares)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_LOCATION.sub(_short, frame) for frame in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if frames:
            own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples

    def shares(counter: Counter[str]) -> list[str]:
        return [f"{100 * c / total:5.1f}% {frame}" for frame, c in counter.most_common(n)]

    return {"samples": total, "own": shares(own), "inclusive": shares(inclusive)} if total else {"samples": 0}


def profile_services(pids: dict[str, int], out: Path, work: Callable[[], None], *, seconds: int) -> dict[str, dict]:
    """Record every service in `pids` while `work` runs (at most `seconds`); the top frames of each."""
    recorders = record(pids, out, seconds=seconds)
    try:
        work()
    finally:
        for recorder in recorders:
            if recorder.poll() is None:
                recorder.send_signal(2)  # py-spy writes what it has on SIGINT
        finish(recorders)
    summary = {}
    for name in pids:
        path = out / f"{name}.txt"
        summary[name] = top_frames(path.read_text()) if path.exists() else {"samples": 0}
    return summary
