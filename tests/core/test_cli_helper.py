"""The shared CLI conventions layer, on a small app built with it (the domain CLIs are tested too)."""

from __future__ import annotations

import enum
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

APP = textwrap.dedent(
    '''
    import enum, logging, math, os, signal, time
    from pathlib import Path
    from typing import Annotated
    import typer
    from carrousel.core import cli
    from carrousel.core.errors import DataError
    from carrousel.core.atomic import atomic_path

    app = cli.create_app("toy", "A toy.", "toy 1.0")

    class Method(str, enum.Enum):
        pwm = "pwm"
        model = "model"

    @cli.command(app)
    def scan(
        path: Annotated[Path, typer.Argument(help="input")],
        method: Annotated[Method, typer.Option("--method", help="how")] = Method.pwm,
        count: Annotated[int, typer.Option("--count", min=1, help="count")] = 3,
        as_json: Annotated[bool, typer.Option("--json", help="JSON")] = False,
    ) -> None:
        """Scan a thing."""
        if path.name == "bad":
            raise DataError(f"{path}: line 3 is not a number; fix the file")
        if path.name == "boom":
            raise ZeroDivisionError("x")
        if path.name == "warn":
            logging.getLogger("carrousel.toy").warning("ignored: " + ", ".join(f"'w{i}' (not spelt)" for i in range(20)))
        if path.name == "missing":
            open(path)
        if path.name == "nan":
            cli.emit_json({"score": math.nan})
        if path.name == "slow":
            with atomic_path(Path(os.environ["OUT"])) as tmp:
                tmp.write_text("partial")
                print("ready", flush=True)
                for _ in range(600):  # work in short steps, as real commands do: a signal that lands on
                    time.sleep(0.05)  # another thread than the main one is still acted on at once
        if path.name == "swallow":  # C code (NumPy, matplotlib) can turn a Ctrl-C into another error
            with atomic_path(Path(os.environ["OUT"])) as tmp:
                tmp.write_text("partial")
                try:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(1)
                except KeyboardInterrupt:
                    raise ValueError("Invalid bounding box") from None
        if as_json:
            cli.emit_json({"path": path, "method": method, "count": count})
        else:
            cli.echo(f"{path} {method.value} {count}")

    @cli.command(app)
    def other() -> None:
        """Other."""

    cli.run(app, "toy")
    '''
)


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("toy") / "toy.py"
    path.write_text(APP)
    return path


def call(toy: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(toy), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_help_version_and_no_args(toy: Path) -> None:
    for args in ([], ["-h"], ["--help"]):
        r = call(toy, *args)
        assert r.returncode == 0 and "scan" in r.stdout and "--version" in r.stdout, args
    r = call(toy, "--version")
    assert (r.returncode, r.stdout.strip()) == (0, "toy 1.0")
    r = call(toy, "scan", "-h")
    assert r.returncode == 0
    for flag in ("-v, --verbose", "-q, --quiet", "--json", "pwm|model"):
        assert flag in r.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["scan"],
        ["scan", "x", "--method", "foo"],
        ["scan", "x", "--count", "0"],
        ["nope"],
        ["scan", "x", "-v", "-q"],
    ],
)
def test_usage_errors_exit_2_with_one_line(toy: Path, args: list[str]) -> None:
    r = call(toy, *args)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--help" in lines[0]


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("bad", "line 3 is not a number"),
        ("boom", "internal error (ZeroDivisionError"),
        ("missing", "No such file or directory"),
        ("nan", "non-finite"),
    ],
)
def test_runtime_errors_exit_1_with_one_line_no_traceback(toy: Path, name: str, needle: str) -> None:
    r = call(toy, "scan", name)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr
    assert "Traceback" not in r.stderr and "nan" not in r.stdout.lower()


@pytest.mark.parametrize("columns", ["", "40", "200"])
def test_a_long_warning_is_one_line_whatever_the_width(toy: Path, columns: str) -> None:
    """A log record longer than the console was wrapped into padded lines (RichHandler's table): at 80
    columns whenever stderr was not a terminal, so a warning came out split for grep and log readers."""
    r = call(toy, "scan", "warn", COLUMNS=columns)
    assert r.returncode == 0, r.stderr
    names = ", ".join(f"'w{i}' (not spelt)" for i in range(20))
    assert r.stderr == f"WARNING  ignored: {names}\n"


def test_verbose_shows_the_traceback(toy: Path) -> None:
    r = call(toy, "scan", "boom", "-v")
    assert r.returncode == 1 and "Traceback" in r.stderr and "ZeroDivisionError" in r.stderr
    # the line asked to "rerun with --verbose" a run that had it
    assert (
        r.stderr.splitlines()[-1]
        == "error: internal error (ZeroDivisionError: x); report it with the traceback above"
    )


def test_results_on_stdout_strict_json(toy: Path) -> None:
    r = call(toy, "scan", "x", "--json", "--method", "model")
    assert r.returncode == 0 and r.stderr == ""
    doc = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert doc == {"path": "x", "method": "model", "count": 3}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_prints_one_line_exit_130_and_cleans_temp(toy: Path, tmp_path: Path, sig: int) -> None:
    out = tmp_path / "result.txt"
    proc = subprocess.Popen(
        [sys.executable, str(toy), "scan", "slow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OUT": str(out)},
        # a runner started as a background job ignores SIGINT, and children inherit that: give the toy
        # the default disposition a terminal's foreground command has
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "interrupted"
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_that_surfaces_as_another_error_is_still_an_interrupt(toy: Path, tmp_path: Path) -> None:
    """A Ctrl-C caught inside C code that raises its own error instead (matplotlib's "Invalid bounding
    box" in a CI run) is reported as "interrupted", exit 130, not as an internal error."""
    out = tmp_path / "result.txt"
    r = subprocess.run(
        [sys.executable, str(toy), "scan", "swallow"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OUT": str(out)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert (r.returncode, r.stderr.strip()) == (130, "interrupted")
    assert list(tmp_path.iterdir()) == []


def test_an_ignored_ctrl_c_stays_ignored(toy: Path, tmp_path: Path) -> None:
    """A command started with SIGINT ignored (a background job) keeps ignoring it, as Python does."""
    r = subprocess.run(
        [sys.executable, str(toy), "scan", "swallow"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OUT": str(tmp_path / "result.txt")},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert (r.returncode, r.stdout.strip()) == (0, "swallow pwm 3"), r.stderr
    assert (tmp_path / "result.txt").read_text() == "partial"


def test_to_jsonable_converts_and_refuses_nan() -> None:
    import numpy as np

    from carrousel.core.cli import to_jsonable
    from carrousel.core.errors import ConfigError

    class Color(enum.Enum):
        red = "r"

    doc = {"a": np.float32(1.5), "b": np.arange(3), "c": Path("x"), "d": Color.red, "e": (1, None)}
    assert to_jsonable(doc) == {"a": 1.5, "b": [0, 1, 2], "c": "x", "d": "r", "e": [1, None]}
    for bad in (float("inf"), np.float64("nan"), [1.0, float("-inf")]):
        with pytest.raises(ConfigError, match="non-finite"):
            to_jsonable({"x": bad})


def test_core_import_stays_free_of_typer() -> None:
    code = "import sys, carrousel.core, carrousel.core.bundle; print('typer' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_core_import_reads_its_version_on_first_use() -> None:
    """importlib.metadata (for ``__version__``) took about 77 of the 81 ms of ``import carrousel.core``,
    paid by every torch-free core import; it is read when ``carrousel.core.__version__`` is first asked."""
    code = (
        "import sys, carrousel.core, carrousel.core.errors, carrousel.core.atomic\n"
        "print('importlib.metadata' in sys.modules)\n"
        "from carrousel.core import __version__\n"
        "print('importlib.metadata' in sys.modules, bool(__version__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "True"]


def test_the_cli_helper_and_help_do_not_import_torch() -> None:
    """``--help``, ``--version`` and usage errors answer without PyTorch's seconds-long import: the helper,
    the errors, the atomic writers and the export choices are torch-free, ``carrousel.core`` loads its
    blocks on first use, and each domain CLI imports its pipeline inside the commands."""
    code = (
        "import sys, carrousel.core, carrousel.core.cli, carrousel.core.atomic, carrousel.core.errors\n"
        "from carrousel.core.export import DeployPrecision, Exporter\n"
        "import carrousel.finance.cli._app, carrousel.bio.cli._app\n"
        "import carrousel.speech.cli._app, carrousel.nlp.cli._app\n"  # the packages' commands, not their light __init__
        "print('torch' in sys.modules)\n"
        "from carrousel.core import Trainer\n"  # the lazy re-export still works, and now imports torch
        "print('torch' in sys.modules, Trainer.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "carrousel.core.train.trainer"]


def test_an_allocation_too_large_is_out_of_memory_not_an_internal_error() -> None:
    """torch's CPU allocator fails with a plain RuntimeError ('DefaultCPUAllocator: can't allocate memory'),
    GPUs with torch.OutOfMemoryError (a RuntimeError too): both are the out-of-memory line, like
    MemoryError; before, 'nlp generate train --embed-dim 1000000000000' ended in 'internal error
    (RuntimeError: [enforce fail at alloc_cpu.cpp:127] ...); ... report it'."""
    import torch

    from carrousel.core import cli

    with pytest.raises(RuntimeError) as caught:
        torch.empty(10**15, dtype=torch.uint8)  # a petabyte: refused by the allocator, nothing allocated
    errors = [
        caught.value,
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 8 GiB"),
        MemoryError(),
    ]
    for exc in errors:
        assert cli.error_line(exc) == "out of memory; use a smaller input, batch size or model", exc
    assert cli.error_line(RuntimeError("shape mismatch")).startswith("internal error (RuntimeError")


def test_bars_on_is_the_one_progress_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bars are drawn when not under --quiet and stderr is a terminal (rich's view of it: a tty, or what
    TTY_COMPATIBLE / FORCE_COLOR say); core's progress() and every domain CLI ask this one function."""
    import io

    from rich.console import Console

    from carrousel.core import cli

    for quiet, terminal, on in ((True, True, False), (False, False, False), (False, True, True)):
        monkeypatch.setitem(cli._STATE, "quiet", quiet)
        monkeypatch.setattr(cli, "stderr", Console(file=io.StringIO(), force_terminal=terminal))
        assert cli.bars_on() is on, (quiet, terminal)
        with cli.progress("work", total=2) as advance:
            advance(2)
        assert bool(cli.stderr.file.getvalue()) is on, (quiet, terminal)  # type: ignore[attr-defined]
    monkeypatch.setitem(cli._STATE, "quiet", False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for tty_compatible, on in (("1", True), ("0", False), (None, False)):  # a StringIO is no tty
        if tty_compatible is None:
            monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
        else:
            monkeypatch.setenv("TTY_COMPATIBLE", tty_compatible)
        monkeypatch.setattr(cli, "stderr", Console(file=io.StringIO()))
        assert cli.bars_on() is on, tty_compatible


def test_to_jsonable_leaves_no_lone_surrogate() -> None:
    """Surrogate escapes of a name's bytes (an ASCII locale) are read back as UTF-8, U+FFFD where they are
    not, other lone surrogates too, in keys, texts and paths: main passed them on, and ``json.dumps`` wrote
    "\\udcc3\\udca9", which jq and serde refuse."""
    from carrousel.core.cli import to_jsonable

    doc = {"\udcc3\udca9": Path("/d/\udcc3\udca9.wav"), "t": ["caf\u00e9 \udce9", "\ud800x", "plain"]}
    assert to_jsonable(doc) == {"\u00e9": "/d/\u00e9.wav", "t": ["caf\u00e9 \ufffd", "\ufffdx", "plain"]}
