"""How the CLI helper names a command's parameters in its usage errors: a positional argument by the
metavar ``--help`` shows (``TEXTS``), not by a flag it does not have (before: ``'--texts'``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pytest
import typer

from carrousel.core import cli
from carrousel.core.cli_values import OutputFolder

_LATIN1 = b"caf\xe9".decode("utf-8", "surrogateescape")  # as Python passes such an argv entry


def _toy() -> typer.Typer:
    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def say(
        texts: Annotated[list[str], typer.Argument(help="texts")],
        prompt: Annotated[str, typer.Option("--prompt", help="prompt")] = "",
    ) -> None:
        """Say the texts."""
        cli.echo(" ".join([prompt, *texts]))

    @cli.command(app)
    def one(word: Annotated[str, typer.Argument(help="a word", metavar="WORD")]) -> None:
        """Say a word."""
        cli.echo(word)

    return app


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["toy", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        cli.run(_toy(), "toy")
    return int(done.value.code or 0), " ".join(capsys.readouterr().err.split())


def test_a_positional_text_that_is_not_utf8_is_named_by_its_metavar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(monkeypatch, capsys, "say", "fine", _LATIN1)
    assert code == 2, err
    assert "'TEXTS': 'caf\\xe9' holds bytes that are not UTF-8" in err and "--texts" not in err
    code, err = _run(monkeypatch, capsys, "one", _LATIN1)
    assert code == 2 and "'WORD': 'caf\\xe9' holds bytes that are not UTF-8" in err, err
    code, err = _run(monkeypatch, capsys, "say", "--prompt", _LATIN1, "fine")  # an option keeps its flag
    assert code == 2 and "'--prompt': 'caf\\xe9' holds bytes that are not UTF-8" in err, err
    assert _run(monkeypatch, capsys, "say", "fine", "café")[0] == 0


def test_an_option_is_named_by_its_first_flag_not_its_python_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """typer keeps the first flag of ``typer.Option("--out", "-o")`` apart from the others: an error named
    the parameter ``out_dir`` '--out-dir', a flag the command does not have (``finance forecast --out -``)."""
    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def save(
        out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="folder"), OutputFolder()] = None,
    ) -> None:
        """Save."""
        cli.echo(str(out_dir))

    @cli.command(app)
    def other() -> None:
        """Another command, so that ``save`` is one by name."""

    for flag in ("--out", "-o"):
        monkeypatch.setattr(sys, "argv", ["toy", "save", flag, "-"])
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            cli.run(app, "toy")
        err = " ".join(capsys.readouterr().err.split())
        assert done.value.code == 2 and "'--out':" in err and "--out-dir" not in err, err
