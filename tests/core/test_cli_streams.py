"""The CLI helper in unusual but legitimate environments: a closed stdout or stderr, stdout on a full
device, an ASCII locale, third-party warnings (carrousel.core.cli_streams, cli_logging)."""

from __future__ import annotations

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
    import logging, time
    from pathlib import Path
    from typing import Annotated
    import typer
    from carrousel.core import cli

    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def show(
        what: Annotated[str, typer.Argument(help="what")],
        as_json: Annotated[bool, typer.Option("--json", help="JSON")] = False,
        where: Annotated[Path | None, typer.Option("--where", help="a path")] = None,
    ) -> None:
        """Show a thing."""
        if what == "slow":
            cli.echo("ready")
            time.sleep(30)
        if what == "third-party":
            logging.getLogger("otherlib").warning("cannot write the cache folder /proc/x")
        if what == "table":
            cli.stdout.print("caf\\u00e9 \\u2026 \\u6771\\u4eac")
        if what == "wide":
            from rich.table import Table
            table = Table(title="forecast")
            for name in ("date", "p10", "p50", "p90", "random_walk p50", "ensemble p50"):
                table.add_column(name, justify="right")
            table.add_row("2013-03-04", "54.94", "56.09", "57.57", "56.14", "56.16")
            cli.stdout.print(table)
        if as_json:
            cli.emit_json({"what": what, **({"where": where} if where else {})})
        else:
            cli.echo(what)

    cli.run(app, "toy")
    '''
)


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("toy") / "toy.py"
    path.write_text(APP)
    return path


def _run(
    toy: Path, *args: str, env: dict[str, str] | None = None, **kw: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(toy), *args],
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        **kw,  # type: ignore[call-overload]
    )


@pytest.mark.parametrize("as_json", [True, False])
def test_a_closed_stdout_is_one_line_and_exit_1(toy: Path, as_json: bool) -> None:
    """``toy show x >&-``: on main the command ran, then run()'s final flush of a None sys.stdout raised
    AttributeError, a traceback and exit 1."""
    args = ["show", "x", *(["--json"] if as_json else [])]
    r = _run(toy, *args, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: standard output is closed"), r.stderr


def test_a_closed_stderr_still_exits_130_on_ctrl_c(toy: Path) -> None:
    """``toy ... 2>&-`` and Ctrl-C: on main the 'interrupted' line met a None sys.stderr (AttributeError),
    so the command exited 1 instead of 130."""
    proc = subprocess.Popen(
        [sys.executable, str(toy), "show", "slow"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: (signal.signal(signal.SIGINT, signal.SIG_DFL), os.close(2)),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["show", "x", "--json"], ["show", "x"], ["show", "table"]])
def test_stdout_on_a_full_device_names_standard_output(toy: Path, args: list[str]) -> None:
    """``toy show x --json > /dev/full``: main said 'error: No space left on device; check the path...',
    which names no path; the line now says that standard output could not be written."""
    with open("/dev/full", "w") as full:
        r = _run(toy, *args, stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines == [
        "error: cannot write standard output (No space left on device); "
        "send it to a writable file with free space, or to a pipe"
    ], r.stderr


def test_an_ascii_locale_prints_what_it_cannot_encode_as_a_question_mark(toy: Path) -> None:
    """LC_ALL=C without Python's UTF-8 mode: stdout is ASCII, and rich's print of '…' ended in
    'error: input is not valid text (UnicodeEncodeError ...); check the file's encoding' (finance forecast's
    table, speech transcribe of a file named é.wav)."""
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}
    r = _run(toy, "show", "table", env=env, capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "caf? ? ??"


def test_third_party_warnings_wait_for_verbose(toy: Path) -> None:
    """A library's logging warning (matplotlib's two lines when MPLCONFIGDIR or HOME is not writable)
    went to Python's last-resort handler in every run; it is now shown, as one line, under --verbose only."""
    r = _run(toy, "show", "third-party", capture_output=True)
    assert (r.returncode, r.stderr) == (0, "")
    r = _run(toy, "show", "third-party", "-v", capture_output=True)
    assert r.returncode == 0
    assert r.stderr == "WARNING  cannot write the cache folder /proc/x\n"


@pytest.mark.parametrize("columns", ["20", "40"])
def test_a_table_wider_than_the_terminal_keeps_its_numbers(toy: Path, columns: str) -> None:
    """On a terminal narrower than a table (COLUMNS=20, or finance's forecast table at 80 columns) rich
    squeezed the columns: '5…' for numbers, at 20 columns only the borders. The table keeps its width now
    (the terminal folds the lines); TTY_COMPATIBLE=1 makes rich treat the pipe as a terminal."""
    env = {"COLUMNS": columns, "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "TERM": "xterm"}
    r = _run(toy, "show", "wide", env=env, capture_output=True)
    assert r.returncode == 0, r.stderr
    for cell in (
        "2013-03-04",
        "54.94",
        "56.09",
        "57.57",
        "random_walk p50",
        "56.14",
        "ensemble p50",
        "56.16",
    ):
        assert cell in r.stdout, r.stdout
    assert "…" not in r.stdout


def test_utf8_text_read_in_an_ascii_locale_is_named_so() -> None:
    """'nlp sentiment predict café' under LC_ALL=C (no UTF-8 mode): Python passes the UTF-8 bytes as lone
    surrogates, and main's usage error said they were 'bytes that are not UTF-8', which they are; it now
    says that the locale is the problem. Bytes that really are not UTF-8 keep the old line."""
    from carrousel.core.cli_values import text_problem

    typed = "café 東京".encode().decode("ascii", "surrogateescape")
    problem = text_problem(typed)
    assert problem is not None and problem.startswith("'café 東京' is UTF-8 but the locale's encoding is ")
    assert problem.endswith("run in a UTF-8 locale (LANG=C.UTF-8) or with PYTHONUTF8=1")
    latin1 = text_problem(b"caf\xe9".decode("utf-8", "surrogateescape"))
    assert latin1 is not None and "'caf\\xe9' holds bytes that are not UTF-8" in latin1


def test_json_of_an_undecodable_path_is_strict_json(toy: Path) -> None:
    """A path of bytes not valid in an ASCII locale (b"\\xc3\\xa9", UTF-8 for 'é', under LC_ALL=C): main's
    --json wrote its surrogate escapes, "\\udcc3\\udca9/x", which Python's json accepts but strict readers (jq,
    serde) refuse as lone surrogates; the bytes are now read back as UTF-8 ('é'), U+FFFD where they are not."""
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}
    for raw, want in ((b"\xc3\xa9/x", "\u00e9/x"), (b"\xe9t\xe9", "\ufffdt\ufffd")):
        r = subprocess.run(
            [sys.executable, str(toy), "show", "x", "--where", raw, "--json"],
            capture_output=True,
            timeout=60,
            env={**os.environ, **env},
        )
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)["where"]
        assert got == want, r.stdout
        json.dumps(got, ensure_ascii=False).encode("utf-8")  # no lone surrogate: strict UTF-8 takes it
