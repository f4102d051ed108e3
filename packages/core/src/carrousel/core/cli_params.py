"""How :func:`carrousel.core.cli.command` reads a command's parameters when it is declared: the name an
error gives each one, a plain metavar, a float range that reads NaN as not finite; and, once their values
are read, whether the command will print on a closed stdout (needs the ``carrousel-core[cli]`` extra)."""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from carrousel.core.args import check_args
from carrousel.core.cli_streams import CLOSED_STDOUT, ClosedOutput, names_stdout
from carrousel.core.cli_values import Above, Below, FloatRange
from carrousel.core.errors import OutputError
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    import typer
except ImportError as e:
    raise missing_extra(
        e, "typer", "carrousel-core[cli]", "the CLI helper (carrousel.core.cli_params)"
    ) from None

__all__ = ["name_metavar", "param_name", "parse_float_range", "refuse_closed_stdout_for", "stdout_needed"]


def _flags(p: inspect.Parameter) -> list[str]:
    """An option's flags in the order declared; typer keeps the first one of
    ``Annotated[..., typer.Option("--out", "-o")]`` as its ``default``, the others as ``param_decls``."""
    found: list[str] = []
    for m in typing.get_args(p.annotation)[1:]:
        if isinstance(m, typer.models.OptionInfo):
            first = [m.default] if isinstance(m.default, str) and m.default.startswith("-") else []
            found += [*first, *(m.param_decls or ())]
    return found


def param_name(p: inspect.Parameter) -> str:
    """The name an error gives ``p``: an option's long name (``--count``), an argument's metavar as
    ``--help`` shows it (``TEXTS``; call after :func:`name_metavar`), not a flag it does not have."""
    extras = typing.get_args(p.annotation)[1:]
    if argument := next((m for m in extras if isinstance(m, typer.models.ArgumentInfo)), None):
        return (argument.metavar or p.name.upper()).removesuffix("...")
    longs = [d.split("/")[0] for d in _flags(p) if d.startswith("--")]  # --trim of --trim/--no-trim
    return next(iter(longs), "--" + p.name.replace("_", "-"))


_METAVARS = {str: "TEXT", int: "INT", float: "NUMBER", Path: "PATH"}


def name_metavar(name: str, annotation: Any) -> None:
    """Gives a value-taking option without a metavar a plain one (``TEXT``, ``INT``, ``PATH``...),
    instead of typer's ``<str>`` / ``<int range>``, and an argument its name (``FILES...``); flags and
    choices keep showing none / their list."""
    if typing.get_origin(annotation) is not Annotated:
        return
    base, *extras = typing.get_args(annotation)
    info = next((e for e in extras if isinstance(e, typer.models.ParameterInfo)), None)
    if info is None or info.metavar is not None:
        return
    many = typing.get_origin(base) is list or any(typing.get_origin(a) is list for a in typing.get_args(base))
    if isinstance(info, typer.models.ArgumentInfo):
        info.metavar = name.upper() + ("..." if many else "")
        return
    members = [a for a in (typing.get_args(base) or (base,)) if a is not type(None)]
    inner = [typing.get_args(a)[0] if typing.get_origin(a) is list else a for a in members]
    info.metavar = next((_METAVARS[t] for t in inner if t in _METAVARS), None)


def parse_float_range(annotation: Any) -> None:
    """A float option with a range parses through :class:`FloatRange`: a NaN reads 'not a finite number'
    (typer's range check, before the command's, called it 'not >= 0'); ``Above(x)``/``Below(x)`` exclude x."""
    base, *extras = typing.get_args(annotation) if typing.get_origin(annotation) is Annotated else (None,)
    info = next((e for e in extras if isinstance(e, typer.models.OptionInfo)), None)
    above, below = (next((e.bound for e in extras if isinstance(e, k)), None) for k in (Above, Below))
    floats = not {*(typing.get_args(base) or (base,))} - {float, type(None)}
    if info is None or info.parser or not floats or {info.min, info.max, above, below} == {None}:
        return
    low, high = info.min if above is None else above, info.max if below is None else below
    info.parser = bounds = FloatRange(low, high, high_open=below is not None, low_open=above is not None)
    if (above, below) != (None, None):  # typer would show (and check) the bound as included
        info.min = info.max = None
        info.help = f"{info.help or ''}  [{bounds.describe()}]".strip()


@check_args
def stdout_needed(
    params: Sequence[inspect.Parameter], values: Mapping[str, Any], quiet: bool, results: str | None = None
) -> bool:
    """Whether a command given ``values`` (by parameter name) prints on stdout: always, except under ``-q``
    with its ``results`` parameter (the file or folder of its results, ``"out"``; None: the command has
    none, or still prints) given and no ``--json`` (:func:`carrousel.core.cli_outputs.summary_hidden`). A
    path option naming stdout (:func:`~carrousel.core.cli_streams.names_stdout`: ``-``, ``/dev/stdout``,
    a link to it; ``/dev/null`` is not, though it holds a closed stdout's descriptor) prints there."""
    given = {p.name: values.get(p.name) for p in params}
    if any(isinstance(v, str | Path) and names_stdout(v) for v in given.values()):
        return True
    if not quiet or results is None or any("--json" in _flags(p) and given[p.name] for p in params):
        return True
    return given.get(results) is None


@check_args
def refuse_closed_stdout_for(
    params: Sequence[inspect.Parameter], values: Mapping[str, Any], quiet: bool, results: str | None = None
) -> None:
    """The closed-stdout check of a command once its options are read (:func:`carrousel.core.cli.command`):
    a command started with stdout closed (``cmd >&-``) runs only when it will print nothing there
    (:func:`stdout_needed`: ``-q -o FILE``), else it stops before its work
    (:func:`carrousel.core.cli_start.refuse_closed_stdout` decided earlier for a command line without ``-q``).

    Raises:
        OutputError: stdout is closed and the command would print there (one ``error:`` line, exit 1).
    """
    if isinstance(sys.stdout, ClosedOutput) and stdout_needed(params, values, quiet, results):
        raise OutputError(CLOSED_STDOUT)
