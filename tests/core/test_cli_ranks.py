"""A command launched by ``torchrun`` runs once per process: rank zero alone prints and writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

APP = textwrap.dedent(
    """
    import logging, os
    from pathlib import Path
    from carrousel.core import cli
    from carrousel.core.atomic import atomic_dir, atomic_write_text
    from carrousel.core.errors import DataError

    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def train(fail: bool = False) -> None:
        out = Path(os.environ["OUT"])
        logging.getLogger("carrousel.toy").warning("only 48 held-out windows")
        if fail:
            raise DataError("the data ran out; give more")
        with atomic_dir(out / "model") as tmp:
            (tmp / "weights.bin").write_bytes(b"w")
        atomic_write_text(out / "run.json", "{}")
        atomic_write_text("/dev/stdout", "via -o -\\n")
        cli.emit_json({"loss": 0.5})

    @cli.command(app)
    def other() -> None:
        pass

    cli.run(app, "toy")
    """
)


def _run(tmp_path: Path, rank: int, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "toy.py").write_text(APP)
    env = {**os.environ, "OUT": str(tmp_path), "RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank)}
    cmd = [sys.executable, str(tmp_path / "toy.py"), "train", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_rank_zero_prints_and_writes(tmp_path: Path) -> None:
    r = _run(tmp_path, 0)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("via -o -\n") and json.loads(r.stdout.split("\n", 1)[1]) == {"loss": 0.5}
    assert "only 48 held-out windows" in r.stderr
    assert (tmp_path / "model" / "weights.bin").exists() and (tmp_path / "run.json").exists()


@pytest.mark.parametrize("rank", [1, 3])
def test_other_ranks_print_and_write_nothing(tmp_path: Path, rank: int) -> None:
    """Every rank printed the JSON (N documents on stdout) and wrote the same folder, racing on it."""
    r = _run(tmp_path, rank)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.py"]  # no output, no temporary left
    r = _run(tmp_path, rank, "--fail")  # an error of its own still shows
    assert r.returncode == 1 and r.stderr.strip() == "error: the data ran out; give more"
