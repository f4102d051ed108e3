"""One rule for "this output path means stdout" (:func:`carrousel.core.cli_streams.names_stdout`), which
every command's file options, the ``--json`` clash and the closed-stdout check use.

On main the rule had two homes that disagreed: ``cli_params.STDOUT_NAMES`` (four exact strings: no
``/proc/thread-self/fd/1``, no link to ``/dev/stdout``), read by the closed-stdout check, and
``atomic.is_stdout`` (descriptor names and links, and any file that is stdout's, but not ``-``), read by
``--out`` / ``--plot``, each command turning ``-`` into ``/dev/stdout`` by hand. With stdout closed at start
its descriptor is held by ``/dev/null``, so ``is_stdout("/dev/null")`` was true: ``bio scan -q -o /dev/null
>&-`` took ``/dev/null`` for stdout, printed the hits there and failed (exit 1) after the scan.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
import typer

from carrousel.core import cli_streams
from tests.cli_harness import run_stdout_closed

_NAMES = ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "/proc/thread-self/fd/1"]


@pytest.mark.parametrize("name", _NAMES)
def test_every_stdout_name_names_stdout(name: str) -> None:
    assert cli_streams.names_stdout(name)
    assert cli_streams.names_stdout(Path(name))


def test_a_link_to_stdout_names_it_and_other_paths_do_not(tmp_path: Path) -> None:
    (tmp_path / "out").symlink_to("/dev/stdout")
    assert cli_streams.names_stdout(tmp_path / "out")
    (tmp_path / "f.tsv").write_text("x\n")
    for other in (
        None,
        tmp_path / "f.tsv",
        tmp_path / "missing.tsv",
        "/dev/stderr",
        "/dev/fd/2",
        "./-",
        "-/x",
    ):
        assert not cli_streams.names_stdout(other), other


def test_the_file_stdout_is_names_stdout_and_a_file_named_dash_does_not(tmp_path: Path) -> None:
    """``-o f.txt > f.txt``: the same file; ``./-`` is the file ``-`` in the working folder, never stdout
    (only a ``Path`` option reads it as ``-``)."""
    code = (
        "import sys; from carrousel.core.cli_streams import names_stdout as n\n"
        "print(n('f.txt'), n('./-'), n('-'), n('g.txt'), file=sys.stderr)"
    )
    (tmp_path / "-").write_text("")
    (tmp_path / "g.txt").write_text("")
    with open(tmp_path / "f.txt", "w") as fh:
        r = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            text=True,
            stdout=fh,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert r.returncode == 0, r.stderr
    assert r.stderr.split() == ["True", "False", "True", "False"]


def test_with_stdout_closed_only_the_names_count(tmp_path: Path) -> None:
    """Closed stdout: descriptor 1 is held by ``/dev/null`` (read-only), so ``/dev/null`` is the same file
    as stdout, yet writing it discards, as asked; ``/dev/stdout`` and ``-`` still name stdout."""
    code = (
        "import sys; from carrousel.core.cli_streams import prepare_streams; prepare_streams()\n"
        "from carrousel.core.cli_streams import names_stdout as n\n"
        "print(n('/dev/null'), n('/dev/stdout'), n('-'), n('/proc/self/fd/1'), file=sys.stderr)"
    )
    r, _ = run_stdout_closed(["-c", code], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.split() == ["False", "True", "True", "True"]


def test_the_closed_stdout_check_reads_every_stdout_name(tmp_path: Path) -> None:
    """On main ``-q -o /proc/thread-self/fd/1`` (or a link to ``/dev/stdout``) with stdout closed was not
    refused before the work: STDOUT_NAMES held four exact strings."""
    from carrousel.core.cli_params import stdout_needed

    def cmd(out: Annotated[Path | None, typer.Option("--out", "-o")] = None) -> None: ...

    params = list(inspect.signature(cmd).parameters.values())
    (tmp_path / "link").symlink_to("/dev/stdout")
    for out in ("/proc/thread-self/fd/1", str(tmp_path / "link"), "-", "/dev/stdout"):
        assert stdout_needed(params, {"out": Path(out)}, True, "out"), out
    assert not stdout_needed(params, {"out": Path("/dev/null")}, True, "out")
    assert not stdout_needed(params, {"out": tmp_path / "f.csv"}, True, "out")


def test_stdout_only_reads_dash_and_refuses_it_beside_json() -> None:
    from carrousel.core.cli_outputs import stdout_only

    assert stdout_only(Path("-"), False, "--out")
    assert not stdout_only(None, True, "--out")
    with pytest.raises(typer.BadParameter, match="--json"):
        stdout_only(Path("-"), True, "--out")


def test_plot_dash_is_a_usage_error_naming_dev_stdout() -> None:
    """``--plot -``: a chart writer takes a path, so ``-`` would be a file named ``-``; one usage line names
    ``/dev/stdout`` (on main: a ConfigError, exit 1, asking for a ``.png`` name)."""
    from carrousel.core.cli_outputs import check_plot_option

    with pytest.raises(typer.BadParameter, match="/dev/stdout"):
        check_plot_option(Path("-"), False, "carrousel-core[plot]", "a chart")
