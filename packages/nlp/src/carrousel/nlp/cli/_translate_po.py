"""``nlp translate --po``: the checks of its options, and the filled catalogue written out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from carrousel.core.atomic import atomic_write_bytes
from carrousel.core.cli import echo, emit_json, is_quiet
from carrousel.core.cli_outputs import stdout_clash, stdout_only, summary_hidden
from carrousel.core.cli_streams import writing_stdout
from carrousel.core.files import check_output_file

if TYPE_CHECKING:
    from carrousel.nlp.config import DecodeConfig
    from carrousel.nlp.pipeline.translate import Translator

__all__ = ["fill_catalogue", "po_output"]


def po_output(
    po: Path | None,
    out: Path | None,
    texts: list[str] | None,
    file: Path | None,
    plot: Path | None,
    as_json: bool,
) -> Path | None:
    """The file ``--po``'s filled catalogue goes to (None: stdout), checked before any work.

    Raises:
        typer.BadParameter: ``--out`` without ``--po``, ``--po`` with texts, ``--file`` or ``--plot``, or
            ``--json`` with the catalogue on stdout.
        ConfigError: ``--out`` cannot be written, or is the ``--po`` file.
    """
    if po is None:
        if out is not None:
            raise typer.BadParameter(
                "it writes the catalogue of --po; give --po CATALOGUE", param_hint="'--out'"
            )
        return None
    if texts or file is not None:
        raise typer.BadParameter(
            "it translates a catalogue; give texts (or --file) or --po, not both", param_hint="'--po'"
        )
    if plot is not None:
        raise typer.BadParameter("a catalogue has no attention plot; leave --plot out", param_hint="'--po'")
    if out is None:  # the catalogue goes to stdout: the shared wording, as bio scan's hits printed there
        if as_json:
            raise stdout_clash("--out (stdout when not given)", "--json")
        return None
    if stdout_only(out, as_json, "--out"):  # --out - or /dev/stdout: with --json, the shared usage error
        return None
    return check_output_file(out, "--out", inputs=(po,))


def fill_catalogue(
    po: Path, out: Path | None, translator: Translator, dc: DecodeConfig, as_json: bool
) -> None:
    """Fill ``po``'s untranslated messages, write the catalogue to ``out`` (None: stdout) and print the counts
    (on stderr when the catalogue takes stdout; under ``-q`` none: errors only)."""
    from carrousel.nlp.pipeline.translate_po import fill_po_file

    result = fill_po_file(po, translator, dc)
    if out is None:
        with writing_stdout():  # a full stdout (> /dev/full): one line naming it, as the other results
            typer.echo(result.data, nl=False)
        if not is_quiet():  # -q: errors only
            typer.echo(result.line(), err=True)
        return
    atomic_write_bytes(out, result.data)
    if as_json:
        emit_json(result.summary())
    elif not summary_hidden(True):  # -q: the --out catalogue holds what the counts count
        echo(f"{result.line()}; written to {out}")
