"""The options and helpers bio's commands share: the ``--config``, ``--json``, ``--motif``, ``--model``,
``--jaspar-release`` and ``--device`` options (typed ``Annotated`` aliases), and the rendering of a path and
of a model's arithmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.bio.errors import JasparReleaseError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, check_release
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
