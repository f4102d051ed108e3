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


TORCHRUN_APP = textwrap.dedent(
    """
    import os, time
    from carrousel.core import cli, cli_ranks
    from carrousel.core.errors import DataError

    cli_ranks.RANK_ZERO_WAIT_S = float(os.environ["WAIT_S"])
    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def train(fail_on: str = "0,1") -> None:
        rank = int(os.environ["RANK"])
        if str(rank) in fail_on.split(","):
            raise DataError(f"--data d{rank}.csv: no such file; check the path")
        time.sleep(60)  # a healthy rank, waiting in a collective for the one that failed

    @cli.command(app)
    def other() -> None:
        pass

    cli.run(app, "toy")
    """
)


def _torchrun(tmp_path: Path, fail_on: str, wait_s: float = 30.0) -> subprocess.CompletedProcess[str]:
    (tmp_path / "toy.py").write_text(TORCHRUN_APP)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WAIT_S": str(wait_s)}
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "--",
           str(tmp_path / "toy.py"), "train", "--fail-on", fail_on]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


def _errors_and_exit_codes(stderr: str) -> tuple[list[str], list[str]]:
    """Our ``error:`` lines, and the exit codes of both ranks in torchrun's failure report."""
    codes = [
        line.split(":", 1)[1].split()[0]
        for line in stderr.splitlines()
        if line.strip().startswith("exitcode")
    ]
    return [line for line in stderr.splitlines() if line.startswith(("error:", "interrupted"))], codes


def test_torchrun_error_of_every_rank_shows_once(tmp_path: Path) -> None:
    """Before: the bad input met by both ranks showed twice (one ``error:`` line per rank) and the rank
    stopped by torchrun while it ended exited -15. Now rank zero's line once, every rank exits 1."""
    r = _torchrun(tmp_path, "0,1")
    errors, codes = _errors_and_exit_codes(r.stderr)
    assert r.returncode == 1 and errors == ["error: --data d0.csv: no such file; check the path"], r.stderr
    assert codes == ["1", "1"], r.stderr


def test_torchrun_error_of_another_rank_alone_still_shows(tmp_path: Path) -> None:
    """Rank one alone fails (rank zero waits on in a collective): its own line shows, once, after it has
    waited for rank zero's; rank zero, stopped by torchrun, adds no 'interrupted' and exits 1 too."""
    r = _torchrun(tmp_path, "1", wait_s=1.0)
    errors, codes = _errors_and_exit_codes(r.stderr)
    assert r.returncode == 1 and errors == ["error: --data d1.csv: no such file; check the path"], r.stderr
    assert codes == ["1", "1"], r.stderr


SIGNAL_IN_IMPORT_APP = textwrap.dedent(
    """
    import importlib.abc, os, signal, sys

    class SigtermInTorchImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "torch.nn" and "torch" in sys.modules:  # half-way through torch's own __init__
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGTERM)  # torchrun stopping this rank: a peer failed
            return None

    sys.meta_path.insert(0, SigtermInTorchImport())
    from carrousel.core import cli
    from carrousel.core.errors import DataError

    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def train() -> None:
        raise DataError("--data d1.csv: no such file; check the path")

    @cli.command(app)
    def other() -> None:
        pass

    cli.run(app, "toy")
    """
)


def test_torchrun_sigterm_while_torch_imports_ends_quietly(tmp_path: Path) -> None:
    """Rank zero has failed; torchrun stops rank one while torch is importing (for the ranks' store).
    Before: the import broke half-way and the error path imported the half-made torch again: a crash
    (exit -11) or a traceback, or exit 130. Now the import is held against the signal: exit 1, silent."""
    from datetime import timedelta

    import torch.distributed as dist

    store = dist.TCPStore(
        "127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=30), wait_for_workers=False
    )
    store.set("carrousel/cli//0/failed/0", "error: --data d0.csv: no such file; check the path")
    store.add("carrousel/cli//0/failed", 1)
    (tmp_path / "toy.py").write_text(SIGNAL_IN_IMPORT_APP)
    env = {**os.environ, "WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(store.port), "TORCHELASTIC_USE_AGENT_STORE": "True"}  # fmt: skip
    env.pop("TORCHELASTIC_RUN_ID", None)
    env.pop("TORCHELASTIC_RESTART_COUNT", None)
    r = subprocess.run([sys.executable, str(tmp_path / "toy.py"), "train"], capture_output=True, text=True,
                       timeout=60, env=env)  # fmt: skip
    assert (r.returncode, r.stderr) == (1, ""), r.stderr
