"""Interrupting ``nlp translate train`` while its members train in worker processes (``--workers 2``):
exit 130 with one ``interrupted`` line, at once, and no model folder, no worker left running.

Before, SIGTERM (or a Ctrl-C sent to the main process alone) waited for every member to finish training
before exiting, and a terminal's Ctrl-C (sent to every process) printed a traceback per worker.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.nlp.translate_toys import COMMANDS

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _workers_started(pid: int, deadline: float) -> list[int]:
    """The spawned member workers, 1 s after both appeared (still importing: before, a Ctrl-C there
    printed a traceback), at most until ``deadline``."""
    workers: list[int] = []
    while time.monotonic() < deadline:
        workers = [c for c in _children(pid) if "spawn_main" in _cmdline(c)]
        if len(workers) == 2:
            time.sleep(1.0)
            break
        time.sleep(0.05)
    return workers


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize("group", [False, True], ids=["sigterm-to-main", "ctrl-c-to-group"])
def test_interrupting_member_workers_ends_at_once_with_one_line(tmp_path: Path, group: bool) -> None:
    rng = random.Random(0)
    rows = {" ".join(rng.choice(list(COMMANDS)) for _ in range(rng.randint(1, 4))) for _ in range(300)}
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{r}\t{' '.join(COMMANDS[w] for w in r.split())}\n" for r in sorted(rows)))
    out = tmp_path / "m"
    args = ["translate", "train", "--pairs", str(pairs), "-o", str(out), "--vocab-size", "60"]
    args += ["--embed-dim", "8", "--hidden-size", "8", "--epochs", "500", "--patience", "500"]
    args += ["--members", "2", "--workers", "2", "--threads", "1", "--device", "cpu"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from carrousel.nlp.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        workers = _workers_started(proc.pid, time.monotonic() + 60)
        assert len(workers) == 2, "the member workers did not start"
        if group:
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        else:
            proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            err = "still running 30 s after the signal"
        waited = time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["interrupted"], err
    assert waited < 15, f"exited {waited:.1f} s after the signal"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.tsv"]
    time.sleep(0.5)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and "spawn_main" in _cmdline(w)]
