"""Faults during a run: a full disk, a read-only file system, Ctrl-C / SIGTERM at several moments and
SIGKILL. After each, the output location holds either the complete result or nothing (no partial run
folder, no temporary file), and the failure is one line.

The full disk and the read-only file system are real small tmpfs mounts where this process may mount
(root, as in CI); elsewhere the same cases run against a mocked ENOSPC / EROFS.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hardening.conftest import Outcome, assert_clean_failure, listing
from tests.open_faults import fail_opens, names_the_limit

STOCKS = Path(__file__).parents[1] / "finance" / "data" / "stocks_2007_2010.csv.gz"
FAST = ["--epochs", "1", "--hidden", "4", "--lookback", "10", "--horizon", "2", "--no-backtest"]


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    lines = gzip.decompress(STOCKS.read_bytes()).decode().splitlines()
    path = tmp_path / "prices.csv"
    path.write_text("\n".join([lines[0], *[line for line in lines if line.startswith("AAPL,")]]) + "\n")
    return path


@contextlib.contextmanager
def _mount(path: Path, options: str) -> Iterator[bool]:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fail_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Where no tmpfs can be mounted: every write of an output file fails with ``code``."""
    import builtins

    real_open = builtins.open

    def failing_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if any(m in mode for m in "wax+") and "carrousel-faults" in str(file):
            raise OSError(code, os.strerror(code), str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", failing_open)


@pytest.mark.parametrize(
    ("options", "code", "needle"), [("size=24k", errno.ENOSPC, "space"), ("ro,size=1m", errno.EROFS, "writ")]
)
def test_full_or_read_only_disk_leaves_nothing(
    invoke: Callable[..., Outcome],
    prices: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: str,
    code: int,
    needle: str,
) -> None:
    disk = tmp_path / "carrousel-faults"
    with _mount(disk, options) as mounted:
        if not mounted:
            _fail_writes(monkeypatch, code)
        outcome = invoke("finance", "forecast", "AAPL", "--csv", prices, "--out", disk / "run", *FAST)
        assert_clean_failure(outcome, 1)
        assert needle in outcome.stderr.lower(), outcome.stderr
        assert str(disk) in outcome.stderr
        assert listing(disk) == []


@pytest.mark.parametrize("gz", [False, True])
def test_a_read_out_of_descriptors_names_the_limit(
    invoke: Callable[..., Outcome], prices: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool
) -> None:
    """Too many open files (EMFILE) while the prices are read: on main core's read_text turned it into
    "--csv ...: cannot be read (Too many open files); check the file", blaming a good file. Now the error
    boundary's line names the limit and 'ulimit -n', exit 1, and nothing is written."""
    source = prices
    if gz:
        source = tmp_path / "prices.csv.gz"
        source.write_bytes(gzip.compress(prices.read_bytes()))
    fail_opens(monkeypatch, source, errno.EMFILE)
    out = tmp_path / "run"
    outcome = invoke("finance", "forecast", "AAPL", "--csv", source, "--out", out, *FAST)
    names_the_limit(outcome, source)
    assert not out.exists()


def test_a_config_read_out_of_descriptors_names_the_limit(
    invoke: Callable[..., Outcome], prices: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many open files while --config is read: on main core's read_toml said "--config ...: cannot be
    read (Too many open files); check the path". Now the boundary's line names the limit and 'ulimit -n'."""
    conf = tmp_path / "run.toml"
    conf.write_text("epochs = 1\n")
    fail_opens(monkeypatch, conf, errno.EMFILE)
    out = tmp_path / "run"
    outcome = invoke("finance", "forecast", "AAPL", "--csv", prices, "--config", conf, "--out", out, *FAST)
    names_the_limit(outcome, conf, fix="check the path")
    assert not out.exists()


def test_a_saved_run_read_out_of_descriptors_names_the_limit(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'finance evaluate RUN' meeting the open-files limit at run.json: on main "cannot read .../run.json
    (Too many open files); check the path". Now the limit and 'ulimit -n'; any other error keeps one line."""
    (run := tmp_path / "run").mkdir()
    (doc := run / "run.json").write_text('{"backtest": {"scores": []}}')
    fail_opens(monkeypatch, doc, errno.EMFILE)
    outcome = invoke("finance", "evaluate", run)
    names_the_limit(outcome, doc, fix="check the path")
    fail_opens(monkeypatch, doc, errno.EIO)  # a failing disk: the file's, named with what to check
    outcome = invoke("finance", "evaluate", run)
    assert_clean_failure(outcome, 1)
    assert outcome.error_lines() == [
        f"error: {doc}: cannot be read ({os.strerror(errno.EIO)}); check the path"
    ]


_WARM: list[bool] = []  # this process has made one whole run (see test_interrupt_at_several_moments)


@contextlib.contextmanager
def _signal_after(delay: float, sig: int) -> Iterator[None]:
    """Sends ``sig`` to this process ``delay`` seconds into the body. The command's ``run()`` handles it
    with its own handlers; around the run (before it installs them, after it puts these back) the signal
    is absorbed here: landing in test code, a SIGINT ended the whole pytest session and a SIGTERM killed
    it. Nothing is sent after the body: the timer is stopped and joined, and a signal still pending
    meets the absorbing handler (``signal.signal`` runs pending handlers before it swaps them)."""
    absorbed: list[int] = []
    before = {
        s: signal.signal(s, lambda signum, _: absorbed.append(signum))
        for s in (signal.SIGINT, signal.SIGTERM)
    }
    timer = threading.Timer(delay, os.kill, (os.getpid(), sig))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        for s, handler in before.items():
            signal.signal(s, handler)


@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGINT, 0.2), (signal.SIGINT, 1.5), (signal.SIGINT, 4.0), (signal.SIGTERM, 1.0)],
)
def test_interrupt_at_several_moments(
    invoke: Callable[..., Outcome], prices: Path, tmp_path: Path, delay: float, sig: int
) -> None:
    """Ctrl-C or SIGTERM after ``delay`` seconds: "interrupted", exit 130 and no output at all, or the
    complete output when the run finished first."""
    out = tmp_path / "run"
    # one whole run first, so that the moments fall in the run's work, never in a first import of the
    # modules it loads on use (sympy under torch...): cut there, the module stayed half-made in this process
    # and a later run failed on it ("internal error (NameError: name 'functoolz' is not defined)")
    if not _WARM:
        assert (
            invoke("finance", "forecast", "AAPL", "--csv", prices, "--out", tmp_path / "warm", *FAST).code
            == 0
        )
        shutil.rmtree(tmp_path / "warm")
        _WARM.append(True)
    with _signal_after(delay, sig):
        outcome = invoke("finance", "forecast", "AAPL", "--csv", prices, "--out", out, *FAST)
    if outcome.code == 0:  # finished before the signal: the whole run folder is there
        assert sorted(p.name for p in out.iterdir()) == ["fan_AAPL.png", "model", "run.json"]
        return
    assert outcome.code == 130, outcome.stderr
    assert outcome.stderr.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in outcome.stderr
    assert listing(tmp_path) == ["prices.csv"]


def test_sigkill_leaves_no_run_folder_and_the_next_run_sweeps(
    invoke: Callable[..., Outcome], prices: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    code = "from carrousel.finance.cli import main; main()"
    args = ["forecast", "AAPL", "--csv", str(prices), "--out", str(out), *FAST]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # kill once the run folder's temporary exists (the run is under way and writing)
    for _ in range(600):
        if any(p.name.startswith(".run.") for p in tmp_path.iterdir()) or proc.poll() is not None:
            break
        threading.Event().wait(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == ["fan_AAPL.png", "model", "run.json"]
    done = invoke("finance", *args, "-q")
    assert done.code == 0, done.stderr
    assert listing(tmp_path) == sorted(
        ["prices.csv", "run", "run/fan_AAPL.png", "run/model", "run/run.json"]
        + [f"run/model/{n}" for n in ("arrays.safetensors", "bundle.json", "model.safetensors")]
    )
