"""Texts marked :class:`~carrousel.core.cli_values.NonBlank` refuse a blank value before the command runs:
one usage line naming the parameter, exit 2 (the domains' text arguments: tests/hardening/test_blank_texts.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import pytest
import typer

from carrousel.core import cli
from carrousel.core.cli_values import NonBlank, blank_problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "an empty text; give the text or leave it out"),
        ("  \t", "a text of whitespace only; give the text or leave it out"),
        (
            "\u200b\ufeff",
            "a text of invisible characters only ('\\u200b\\ufeff'); give the text or leave it out",
        ),
        ("a", None),
        (" a\u200b", None),
        (None, None),  # an argument left out: its default
    ],
)
def test_blank_problem(value: str | None, problem: str | None) -> None:
    assert blank_problem(value) == problem


def test_a_blank_text_is_a_usage_error_before_the_body(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = cli.create_app("toy", "A toy.", "toy 1.0")
    ran: list[list[str]] = []

    @cli.command(app)
    def say(
        texts: Annotated[list[str] | None, typer.Argument(help="Texts."), NonBlank()] = None,
        prompt: Annotated[str, typer.Option("--prompt", help="May be empty.")] = "",
    ) -> None:
        """Say texts."""
        ran.append(list(texts or []))

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["toy", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            cli.run(app, "toy")
        return int(done.value.code or 0), capsys.readouterr().err

    assert run("say", "hi", "", "there") == (
        2,
        "error: Invalid value for 'TEXTS': an empty text; give the text or leave it out; see 'toy say --help'\n",
    )
    assert ran == []
    assert run("say", "--prompt", "") == (0, "") and ran == [[]]  # unmarked texts may be empty
