"""The options and helpers bio's commands share: the ``--config``, ``--json``, ``--motif``, ``--model``,
``--jaspar-release`` and ``--device`` options (typed ``Annotated`` aliases), the rendering of a path and
of a model's arithmetic, and the progress bar of a run that learns its total as it goes (:func:`counted_bar`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn

from carrousel.bio.errors import JasparReleaseError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, check_release
from carrousel.core import cli
from carrousel.core.cli_device import DeviceOption
from carrousel.core.errors import MissingExtraError
from carrousel.core.provenance import PrecisionReport, precision_words

__all__ = [
    "AsJson",
    "ConfigFile",
    "DeviceOpt",
    "JasparRelease",
    "ModelDir",
    "MotifSpecs",
    "arithmetic",
    "counted_bar",
    "path_or_none",
]

ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file of options; flags given on the command line override it."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
MotifSpecs = Annotated[
    list[str] | None,
    typer.Option(
        "--motif",
        "-m",
        metavar="MOTIF",
        help="JASPAR ID (MA0139.2), name (CTCF), jaspar:CORE/vertebrates or a motif file; repeat or comma-separate.",
    ),
]
ModelDir = Annotated[Path | None, typer.Option("--model", help="Model folder (default: the packaged panel).")]


def _jaspar_release(value: str) -> str:
    """``--jaspar-release``: pyjaspar's name of the release, or a usage error listing those it ships."""
    if value == JASPAR_RELEASE:
        return value
    try:
        return check_release(value)
    except JasparReleaseError as exc:
        raise typer.BadParameter(str(exc)) from None
    except MissingExtraError:  # the lookup itself says so, where a motif needs JASPAR
        return value


JasparRelease = Annotated[
    str,
    typer.Option(
        "--jaspar-release",
        metavar="RELEASE",
        callback=_jaspar_release,
        help="JASPAR release that motif IDs, names and jaspar: collections are looked up in (pyjaspar's: "
        "JASPAR2024, JASPAR2026...).",
    ),
]
DeviceOpt = DeviceOption


def path_or_none(p: Path | None) -> str | None:
    """A path option's value as the config holds it: its text, or None where it was not given."""
    return str(p) if p is not None else None


def arithmetic(precisions: PrecisionReport) -> str:
    """The human line's words for a loaded model's ``trained_precision`` and this run's ``precision``."""
    return "model " + precision_words(precisions["trained_precision"], precisions["precision"])


@contextmanager
def counted_bar(
    enabled: bool, label: str, task: str, *counts: ProgressColumn
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar on stderr (``label``, the bar, the ``counts`` columns, the time left); yields
    ``(set_total, advance)``, both doing nothing when ``enabled`` is false or bars are off
    (:func:`carrousel.core.cli.bars_on`)."""
    if not enabled or not cli.bars_on():
        yield (lambda n: None), (lambda n: None)
        return
    cols = [TextColumn(f"[bold]{label}"), BarColumn(), *counts, TimeRemainingColumn()]
    with Progress(*cols, console=cli.stderr, transient=True) as bar:
        task_id = bar.add_task(task, total=None)
        yield (lambda n: bar.update(task_id, total=n or None)), (lambda n: bar.advance(task_id, n))
