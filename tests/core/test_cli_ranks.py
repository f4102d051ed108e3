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

    def main() -> None:
        cli.run(app, "toy")
    """
)
# the console script's way in (carrousel.core.cli_start.launch): a rank that torchrun stops while it is
# still starting up (a loaded machine) ends as the conventions say, not by the signal (-15)
LAUNCHER = "from carrousel.core.cli_start import launch\nlaunch('toy_cli')\n"


def _torchrun(tmp_path: Path, fail_on: str, wait_s: float = 30.0) -> subprocess.CompletedProcess[str]:
    (tmp_path / "toy_cli.py").write_text(TORCHRUN_APP)
    (tmp_path / "toy.py").write_text(LAUNCHER)
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


def _peer_env(failed: int | None) -> tuple[object, dict[str, str]]:
    """A store standing for torchrun's agent (the ranks' failures recorded under the key of
    :mod:`carrousel.core.cli_ranks`; rank ``failed`` has failed, when given) and a rank's environment."""
    from datetime import timedelta

    import torch.distributed as dist

    store = dist.TCPStore(
        "127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=30), wait_for_workers=False
    )
    if failed is not None:
        store.set(f"carrousel/cli//0/failed/{failed}", f"error: --data d{failed}.csv: no such file")
        store.add("carrousel/cli//0/failed", 1)
    env = {**os.environ, "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(store.port),
           "TORCHELASTIC_USE_AGENT_STORE": "True"}  # fmt: skip
    for key in ("TORCHELASTIC_RUN_ID", "TORCHELASTIC_RESTART_COUNT", "RANK", "LOCAL_RANK"):
        env.pop(key, None)
    return store, env


def test_torchrun_sigterm_while_torch_imports_ends_quietly(tmp_path: Path) -> None:
    """Rank zero has failed; torchrun stops rank one while torch is importing (for the ranks' store).
    Before: the import broke half-way and the error path imported the half-made torch again: a crash
    (exit -11) or a traceback, or exit 130. Now the import is held against the signal: exit 1, silent."""
    store, env = _peer_env(failed=0)
    (tmp_path / "toy.py").write_text(SIGNAL_IN_IMPORT_APP)
    env.update(RANK="1", LOCAL_RANK="1")
    r = subprocess.run([sys.executable, str(tmp_path / "toy.py"), "train"], capture_output=True, text=True,
                       timeout=60, env=env)  # fmt: skip
    assert (r.returncode, r.stderr) == (1, ""), r.stderr
    del store


# a CLI module stopped while it imports (the console script's start-up, carrousel.core.cli_start.launch):
# the SIGTERM torchrun sends a rank still starting up when a peer has already failed
STARTING_CLI = textwrap.dedent(
    """
    import os, signal, time
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
    """
)


@pytest.mark.parametrize(("rank", "failed", "code", "stderr"), [
    (1, 0, 1, ""), (0, 1, 1, ""), (1, None, 130, ""), (0, None, 130, "interrupted\n")
])  # fmt: skip
def test_torchrun_sigterm_during_start_up_after_a_peer_failed_exits_1_silently(
    tmp_path: Path, rank: int, failed: int | None, code: int, stderr: str
) -> None:
    """A rank slow to start (a loaded machine) is stopped by torchrun when a faster peer has failed
    already. Before: it exited 130 and rank zero printed 'interrupted' beside the peer's error line (the
    toy of the torchrun tests above, entered without launch(), died of the signal: -15). Now it exits 1
    in silence, as a rank stopped during the command does; with no peer failed, still 130."""
    store, env = _peer_env(failed)
    (tmp_path / "starting_cli.py").write_text(STARTING_CLI)
    env.update(RANK=str(rank), LOCAL_RANK=str(rank), PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    start = "from carrousel.core.cli_start import launch; launch('starting_cli')"
    r = subprocess.run([sys.executable, "-c", start, "train"], capture_output=True, text=True, timeout=60,
                       env=env)  # fmt: skip
    assert (r.returncode, r.stderr) == (code, stderr), r.stderr
    del store


# a CLI module that imports torch at its top, stopped half-way through torch's own __init__
STARTING_TORCH_CLI = textwrap.dedent(
    """
    import importlib.abc, os, signal, sys

    class SigtermInTorchImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "torch.nn" and "torch" in sys.modules:
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGTERM)
            return None

    sys.meta_path.insert(0, SigtermInTorchImport())
    import torch
    """
)


def test_torchrun_sigterm_in_a_start_up_import_of_torch_leaves_torch_alone(tmp_path: Path) -> None:
    """Stopped half-way through torch's import at start-up, a rank cannot ask torchrun's store whether a
    peer failed: importing the half-made torch again crashes (exit -11) or prints a traceback. It exits
    130 in silence (rank one) instead, as before the store was asked at start-up."""
    store, env = _peer_env(failed=0)
    (tmp_path / "starting_cli.py").write_text(STARTING_TORCH_CLI)
    env.update(RANK="1", LOCAL_RANK="1", PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    start = "from carrousel.core.cli_start import launch; launch('starting_cli')"
    r = subprocess.run([sys.executable, "-c", start, "train"], capture_output=True, text=True, timeout=60,
                       env=env)  # fmt: skip
    assert (r.returncode, r.stderr) == (130, ""), r.stderr
    del store


def test_leave_group_destroys_a_joined_group_and_is_a_no_op_otherwise() -> None:
    """A successful run leaves its process group (a gloo group left to the interpreter's exit once aborted a
    torchrun rank); without a group, twice, or with torch.distributed never imported, nothing happens."""
    import torch.distributed as dist

    from carrousel.core.cli_ranks import leave_group

    leave_group()  # no group: nothing
    store = dist.HashStore()
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    assert dist.is_initialized()
    leave_group()
    assert not dist.is_initialized()
    leave_group()  # already left: nothing
