"""Outputs named ``/dev/stdout`` (or ``/dev/fd/1``, ``/proc/self/fd/1``) and a stdout whose reader left.

Each case runs in a child process, so stdout is a real file descriptor: a regular file opened by the shell
with ``>`` or ``>>``, or a pipe. A redirected file is written through the descriptor (what was printed
before stays, an appended log is not wiped), a pipe is written in place, and a reader that goes away
(``| head``) ends the command quietly with exit 0, whatever prints the results (a rich table included).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli_harness import run_entry
from tests.finance.test_finance_global import ar_panel

ROOT = Path(__file__).parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in sorted(ROOT.glob("packages/*/src")))}

WRITE = textwrap.dedent(
    """
    import sys
    from carrousel.core.atomic import atomic_write_text
    print("before", flush=True)
    for name in sys.argv[1:]:
        atomic_write_text(name, name + "\\n")
    print("after", flush=True)
    """
)


def _child(code: str, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", code, *args], env=ENV, timeout=120, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.mark.parametrize("mode", ["w", "a"])
def test_dev_stdout_redirected_to_a_file_is_written_through_the_descriptor(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old log\n")
    names = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
    with open(out, mode) as fh:
        done = _child(WRITE, *names, stdout=fh, stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    kept = ["old log"] if mode == "a" else []  # '>>' keeps the log, '>' truncated it
    assert out.read_text().splitlines() == [*kept, "before", *names, "after"]


def test_dev_stdout_on_a_pipe_is_written_in_place() -> None:
    done = _child(WRITE, "/dev/stdout", capture_output=True)
    assert done.returncode == 0, done.stderr  # was: cannot write /proc/N/fd/pipe:[M]
    assert done.stdout.decode().splitlines() == ["before", "/dev/stdout", "after"]


def test_a_closed_stdout_descriptor_is_one_error() -> None:
    done = _child(WRITE, "/dev/stdout", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert done.returncode == 0  # /dev/null: in place
    code = "import os; from carrousel.core.atomic import atomic_write_text as w; os.close(1); w('/dev/stdout', 'x')"
    done = _child(code, stderr=subprocess.PIPE)
    assert (
        done.returncode == 1 and b"OutputError: cannot write /dev/stdout (Bad file descriptor)" in done.stderr
    )


APP = textwrap.dedent(
    """
    import sys
    import typer
    from rich.table import Table
    from carrousel.core.cli import command, emit_json, run, stdout
    app = typer.Typer()
    @command(app, "table")
    def table(as_json: bool = typer.Option(False, "--json")) -> None:
        print("first line", flush=True)
        sys.stdin.read(1)  # the reader has gone when this returns
        if as_json:
            emit_json({"rows": list(range(100_000))})
            return
        t = Table("n")
        for i in range(100):
            t.add_row(str(i))
        stdout.print(t)
    @command(app, "other")
    def other() -> None:
        pass
    run(app, "toy")
    """
)


@pytest.mark.parametrize("args", [["table"], ["table", "--json"]])
def test_a_reader_that_leaves_ends_the_command_quietly_with_exit_0(args: list[str]) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", APP, *args],
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    assert child.stdout.readline() == b"first line\n"  # like '| head -1': then the reader goes away
    child.stdout.close()
    child.stdin.write(b"x")
    child.stdin.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0, err  # rich's table used to exit 1
    assert err == ""


@pytest.fixture(scope="module")
def global_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from typer.testing import CliRunner

    from carrousel.finance.cli import app

    tmp = tmp_path_factory.mktemp("global")
    ar_panel(2, 120).to_csv(tmp / "panel.csv", index=False)
    (tmp / "run.toml").write_text(
        "[window]\nlookback = 10\nhorizon = 2\n[model]\nhidden_size = 4\nmembers = 1\n[train]\nepochs = 1\n"
    )
    args = ["train-global", "--data", str(tmp / "panel.csv"), "--model-dir", str(tmp / "m"), "--config"]
    done = CliRunner().invoke(app, [*args, str(tmp / "run.toml"), "-q"])
    assert done.exit_code == 0, done.output
    return tmp / "panel.csv", tmp / "m"


def _predict(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``finance predict ARGS`` in this process; stdout and stderr are real descriptors (capfd's files)."""
    return run_entry(capfd, "finance", "predict", *args)


def test_finance_predict_writes_csv_to_dev_stdout_and_a_fifo(
    global_model: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data, model = global_model
    base = ["--data", str(data), "--model-dir", str(model), "-q"]
    code, out, err = _predict(capfd, *base, "-o", "/dev/stdout")
    assert code == 0, err  # was: --out /dev/stdout: use a .csv or .parquet file name
    lines = out.splitlines()
    assert lines[0] == "unique_id,ds,p10,p50,p90,p10_aci,p90_aci" and len(lines) == 1 + 2 * 2  # CSV only
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    code, out, err = _predict(capfd, *base, "-o", str(fifo))
    assert code == 0, err
    assert reader.communicate(timeout=60)[0].decode().splitlines() == lines and fifo.exists()
    assert out == ""  # not the output; under -q the table is not repeated there (the FIFO got it)


def test_finance_predict_refuses_stdout_twice_and_unwritable_paths_before_work(
    global_model: tuple[Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    data, model = global_model
    base = ["--data", str(data), "-q"]
    code, out, err = _predict(capfd, *base, "--model-dir", str(model), "-o", "/dev/stdout", "--json")
    assert code == 2 and "it names stdout, where --json prints" in err and out == ""
    code, out, err = _predict(capfd, *base, "--model-dir", "no-such-model", "-o", str(data / "x.csv"))
    assert code == 1 and f"{data} is a file, so the output cannot be created there" in err  # before the load
    assert len(err.splitlines()) == 1
