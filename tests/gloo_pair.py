"""Two gloo ranks on CPU, each in its own process, meeting in a file store: a file, not a port picked free
beforehand, which another process could take in the seconds before rank zero binds it (torch's import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

__all__ = ["run_two_ranks"]


def run_two_ranks(script: Path, store: Path, *args: str, timeout: float) -> list[Any]:
    """Runs ``python script RANK STORE *args`` for ranks 0 and 1 at once (one thread each, no torchrun
    variables inherited) and gives back the JSON each printed on its last stdout line, in rank order.

    A rank that has not ended after ``timeout`` seconds fails the test (a hang); one that exits non-zero
    fails it with the end of its stderr. Both processes are killed on the way out either way."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(rank), str(store), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for rank in (0, 1)
    ]
    results = []
    try:
        for rank, proc in enumerate(procs):
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                pytest.fail(f"rank {rank} hung ({script.name} {' '.join(args)})")
            assert proc.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results
