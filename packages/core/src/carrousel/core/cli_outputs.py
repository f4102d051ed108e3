"""Output options of the domain CLIs that are more than a path: a chart (``--plot FILE.png``) and a file
option that may name standard output, where a command's tables and ``--json`` also go (extra ``[cli]``).
:func:`~carrousel.core.output_stage.staged_outputs` (re-exported): a command writing a chart beside
another file puts both in place together, or neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.atomic import writes_in_place
from carrousel.core.cli import is_quiet
from carrousel.core.cli_streams import names_stdout
from carrousel.core.optional import missing_extra
from carrousel.core.output_stage import staged_outputs
from carrousel.core.plots import check_png

try:  # the carrousel-core[cli] extra
    import typer
except ImportError as e:
    raise missing_extra(
        e, "typer", "carrousel-core[cli]", "the CLI output checks (carrousel.core.cli_outputs)"
    ) from None

__all__ = [
    "check_plot_option",
    "plots_written",
    "staged_outputs",
    "stdout_clash",
    "stdout_only",
    "summary_hidden",
    "table_on_stdout",
]


@check_args
def summary_hidden(written: bool) -> bool:
    """Whether a command prints nothing more on stdout: under ``-q`` (errors only) once its results were
    written to a file or folder (``-o FILE``, ``--out DIR``), which hold them; its tables and lines there
    are then a summary. Results that go nowhere else (a table without ``-o``, ``--json``) print even under
    ``-q``: they are the command's output, not its chatter."""
    return written and is_quiet()


def stdout_only(path: Path | None, as_json: bool, flag: str) -> bool:
    """Whether the file option ``flag`` names stdout (:func:`~carrousel.core.cli_streams.names_stdout`:
    ``-``, ``/dev/stdout``...), which then receives that file alone (no tables); with ``--json`` (which
    prints there too) it is a usage error."""
    if not names_stdout(path):
        return False
    if as_json:
        raise stdout_clash(flag, "--json")
    return True


def stdout_clash(flag: str, other: str) -> typer.BadParameter:
    """The usage error (exit 2) of two outputs claiming stdout, one wording for every command: the option
    ``flag`` names stdout (:func:`~carrousel.core.cli_streams.names_stdout`) where ``other`` (``--json``,
    ``--out``) prints too. Returned for the caller to raise (``raise stdout_clash("--plot", "--out")``)."""
    return typer.BadParameter(
        f"it names stdout, where {other} prints; give one of them", param_hint=f"'{flag}'"
    )


@check_args
def table_on_stdout(out: Path | None, plot: Path | None, as_json: bool, printed: bool = False) -> bool:
    """Whether a command's table goes to stdout, alone there: ``--out`` names it (:func:`stdout_only`), or
    ``printed`` (the command prints the table when ``--out`` is not given) and neither ``--out`` nor
    ``--json`` is given. Checked before the chart (:func:`check_plot_option`), with the usage errors of two
    outputs there (:func:`stdout_clash`): ``--out`` beside ``--json``, ``--plot`` naming stdout too."""
    to_stdout = stdout_only(out, as_json, "--out") or (printed and out is None and not as_json)
    if to_stdout and names_stdout(plot):
        raise stdout_clash("--plot", "--out" if out is not None else "--out (stdout when not given)")
    return to_stdout


def plots_written(*paths: str | os.PathLike[str] | None) -> list[str]:
    """A ``--json`` document's ``"plots"``: the paths of the charts written, ``[]`` without ``--plot``.

    Every command with a chart option gives this key, the written PNGs' paths as strings (None: not
    written, left out), so a script reads where the charts went without parsing the tables.
    """
    return [str(p) for p in paths if p is not None]


def check_plot_option(
    path: Path | None,
    as_json: bool,
    extra: str,
    purpose: str,
    flag: str = "--plot",
    others: Mapping[str, Path | None] | None = None,
    folders: Mapping[str, Path | None] | None = None,
) -> bool:
    """Checks a chart option before any work: a ``.png`` file name in a writable folder (or a special file
    such as ``/dev/null`` or ``/dev/stdout``, written in place) and matplotlib installed.

    Args:
        path: the option's value (None: no chart, nothing checked).
        as_json: whether ``--json`` was given (it cannot share stdout with the PNG).
        extra: the extra that installs matplotlib, for the error (``"carrousel-bio[plot]"``).
        purpose: what needs it, for the error (``"the ROC chart (bio evaluate --plot)"``).
        flag: the option's name, for the messages.
        others: the command's other outputs by option (``{"--out": out}``): the chart may not be any of
            them (one would overwrite the other), special files such as ``/dev/null`` aside.
        folders: output folders written as a whole by option (``{"--model-dir": model_dir}``): the chart
            may not lie inside one (it would block the folder's write, or be lost when it is replaced).

    Returns:
        True when the PNG goes to stdout: the command then prints nothing else there.

    Raises:
        ConfigError: not a ``.png`` name, a folder, or no writable folder holds it (exit 1).
        MissingExtraError: matplotlib is not installed (exit 1).
        typer.BadParameter: it names stdout and ``--json`` was given, another output's path or a path
            inside an output folder, or ``-`` (a PNG goes to stdout as ``/dev/stdout``) (exit 2).
    """
    if path is None:
        return False
    if str(path) == "-":  # stdout for the tables of --out; the chart writers take a path
        raise typer.BadParameter(
            "'-' is not a PNG file; give FILE.png, or /dev/stdout for the PNG alone on stdout",
            param_hint=f"'{flag}'",
        )
    for other, value in (others or {}).items():
        if value is not None and _same_path(path, value):
            raise typer.BadParameter(
                f"it is also {other}'s path (one output would overwrite the other); give the chart its own file",
                param_hint=f"'{flag}'",
            )
    for other, folder in (folders or {}).items():
        if folder is not None and _inside(path, folder):
            raise typer.BadParameter(
                f"it lies in {other} {folder}, a folder written as a whole; give the chart a path outside it",
                param_hint=f"'{flag}'",
            )
    to_stdout = stdout_only(path, as_json, flag)
    check_png(path, flag, extra, purpose)
    return to_stdout


def _same_path(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (links followed); special files, written in place, never do."""
    if writes_in_place(a) or writes_in_place(b):
        return False
    return os.path.realpath(a) == os.path.realpath(b)


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (links followed); a special file never does."""
    if writes_in_place(path):
        return False
    return Path(os.path.realpath(folder)) in Path(os.path.realpath(path)).parents
