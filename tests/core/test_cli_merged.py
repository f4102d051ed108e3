"""core ``cli_merged``: a check across options runs on a ``--config`` file's settings and the flags merged
(the flags typed winning); the command line alone making the refusal is a usage error (exit 2), the file
taking part in it one line naming the file (exit 1); a default is never 'given'."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from carrousel.core import cli
from carrousel.core.config import read_toml
from carrousel.core.errors import ConfigError

app = cli.create_app("toy", "A toy command.", "toy 0")
PARAMS = {"student": "student", "filters": "filters"}


def _needs_student(settings: cli.Merged, error: type[Exception]) -> None:
    if settings.given("filters") and not settings["student"]:
        raise error("--filters needs --student")


@cli.command(app)
def run(
    ctx: typer.Context,
    student: Annotated[int, typer.Option("--student")] = 0,
    filters: Annotated[int, typer.Option("--filters")] = 3,
    config: Annotated[Path | None, typer.Option("--config")] = None,
) -> None:
    """Prints the merged settings."""
    doc = read_toml(config) if config is not None else None
    settings = cli.merged_settings(
        ctx, {"student": student, "filters": filters}, PARAMS, doc, getattr(doc, "source", None)
    )
    cli.refuse_merged(_needs_student, settings)
    cli.echo(f"{settings.values()}")


@cli.command(app)
def other() -> None:
    """A second command, so that ``run`` keeps its name."""


def _run(tmp_path: Path, text: str | None, *flags: str) -> Any:
    argv = ["run", *flags]
    if text is not None:
        (tmp_path / "c.toml").write_text(text)
        argv += ["--config", str(tmp_path / "c.toml")]
    return CliRunner().invoke(app, argv)


@pytest.mark.parametrize(
    ("text", "flags", "values"),
    [
        ("student = 8\n", ["--filters", "4"], {"student": 8, "filters": 4}),
        ("filters = 4\n", ["--student", "8"], {"student": 8, "filters": 4}),
        ("student = 8\nfilters = 4\n", ["--filters", "5"], {"student": 8, "filters": 5}),
        ("student = 8\n", [], {"student": 8, "filters": 3}),
        (None, [], {"student": 0, "filters": 3}),  # the default filters: never refused
    ],
)
def test_the_merged_settings_reach_the_run(
    tmp_path: Path, text: str | None, flags: list[str], values: dict[str, int]
) -> None:
    result = _run(tmp_path, text, *flags)
    assert result.exit_code == 0 and result.output.strip() == str(values), result.output


@pytest.mark.parametrize(
    ("text", "flags", "code"),
    [
        (None, ["--filters", "4"], 2),
        ("filters = 2\n", ["--filters", "4"], 2),  # the flag wins: the command line alone refuses it
        ("student = 0\n", ["--filters", "4"], 2),  # the default's value: the same refusal without the file
        ("filters = 4\n", [], 1),
        ("student = 8\nfilters = 4\n", ["--student", "0"], 1),
    ],
)
def test_a_refusal_is_a_usage_error_or_names_the_file(
    tmp_path: Path, text: str | None, flags: list[str], code: int
) -> None:
    result = _run(tmp_path, text, *flags)
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    if code == 1:
        assert lines == [f"error: --config {tmp_path / 'c.toml'}: --filters needs --student"], result.output
    else:
        assert "c.toml" not in result.output and "--filters needs --student" in result.output, result.output


def test_a_hint_names_the_setting_in_the_files_line() -> None:
    settings = cli.Merged({"a": 1}, frozenset(), {"a": 2}, "c.toml")

    def check(given: cli.Merged, error: Any) -> None:
        if given["a"] == 2:
            raise error("not used here", param_hint="'a = 2'")

    with pytest.raises(ConfigError, match=r"^--config c.toml: a = 2: not used here$") as refused:
        cli.refuse_merged(check, settings)
    assert refused.type is ConfigError and settings.typed_alone().values() == {"a": 1}
