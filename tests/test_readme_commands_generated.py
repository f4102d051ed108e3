"""The domain READMEs' Commands tables are the generator's output (tools/data: carrousel_devdata.readme_commands).

Before, they were written once by two throw-away scripts in two forms (nlp's flag pair defaulted to
``header``, finance's to ``--conformal``) and nothing regenerated them: an option added later had no row
until someone noticed. Now each command's heading, summary and table sit between ``<!-- commands:begin
NAME -->`` and ``<!-- commands:end -->``, and these tests fail when that text is not what the CLI gives.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import pytest
import typer

from carrousel_devdata import readme_commands as rc

FIX = "run `python -m carrousel_devdata.readme_commands` (the blocks between the commands markers are generated)"


@pytest.mark.parametrize("domain", rc.DOMAINS)
def test_readme_commands_blocks_are_the_generated_text(domain: str) -> None:
    problems = rc.check(domain)
    assert not problems, f"packages/{domain}/README.md: " + "; ".join(problems) + f"\n{FIX}"


@pytest.mark.parametrize("domain", rc.DOMAINS)
def test_one_default_form_in_every_readme(domain: str) -> None:
    """A flag pair's default is the flag that is on (``--header``), never a bare word (``header``, ``on``)."""
    text = "".join(
        m.group(2) for m in rc.block_pattern().finditer(rc.readme_path(domain).read_text(encoding="utf-8"))
    )
    pairs = [row for row in text.splitlines() if row.startswith("| `--") and "`, `--" in row.split(" | ")[0]]
    assert pairs
    bare = [row for row in pairs if (cell := row.split(" | ")[1]) and not cell.startswith("`--")]
    assert not bare, bare


class Kind(enum.Enum):
    a = "a"
    b = "b"


def _app(extra: bool = False, second: bool = True) -> typer.Typer:
    app = typer.Typer()

    @app.command("run")
    def run(
        size: Annotated[int | None, typer.Option(help="Units [default: [data] size of --config].")] = None,
        kind: Annotated[Kind, typer.Option(help="Kind.")] = Kind.a,
        header: Annotated[bool, typer.Option("--header/--no-header", help="First row (default on).")] = True,
        json_: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Run it.

        More prose that is not the summary."""

    if extra:

        @app.command("run2")
        def run2(depth: Annotated[int, typer.Option(help="Depth.")] = 3) -> None:
            """Run the other."""

    if second:

        @app.command("other")
        def other(path: Annotated[Path, typer.Argument(help="A file.")]) -> None:
            """The other one."""

    return app


def _readme(tmp_path: Path, app: typer.Typer) -> Path:
    blocks = rc.render_blocks("toy", app)
    body = "".join(
        f"{rc.BEGIN.format(n)}\n{b}{rc.END}\n\nWhat {n} writes (hand-written).\n\n" for n, b in blocks.items()
    )
    readme = tmp_path / "packages" / "toy" / "README.md"
    readme.parent.mkdir(parents=True)
    readme.write_text(f"# toy\n\n## Commands\n\nIntro.\n\n{body}## Next\n\nMore.\n", encoding="utf-8")
    return readme


def test_rendering_one_form() -> None:
    blocks = rc.render_blocks("toy", _app())
    assert list(blocks) == ["toy run", "toy other"]
    assert blocks["toy run"] == (
        "### `toy run`\n\nRun it.\n\n| option | default | what |\n|---|---|---|\n"
        "| `--size` | `[data] size of --config` | Units. |\n"
        "| `--kind` | `a` | Kind. One of `a`, `b`. |\n"
        "| `--header`, `--no-header` | `--header` | First row. |\n\n"
    )
    assert "| PATH |  | A file. |" in blocks["toy other"]


def test_a_new_option_without_a_row_fails_and_the_generator_adds_it(tmp_path: Path) -> None:
    app = _app()
    readme = _readme(tmp_path, app)
    assert rc.check("toy", tmp_path, app) == []

    @app.command("run")  # the same command again, with one more option: typer keeps the last
    def run(
        size: Annotated[int | None, typer.Option(help="Units [default: [data] size of --config].")] = None,
        kind: Annotated[Kind, typer.Option(help="Kind.")] = Kind.a,
        header: Annotated[bool, typer.Option("--header/--no-header", help="First row (default on).")] = True,
        seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    ) -> None:
        """Run it."""

    assert rc.check("toy", tmp_path, app) == [
        "toy run: the block is not the CLI's (an option added, renamed or its help changed?)"
    ]
    text = readme.read_text(encoding="utf-8")
    new = rc.rewrite(text, rc.render_blocks("toy", app))
    assert "| `--seed` | `0` | Seed. |" in new
    assert new.replace("| `--seed` | `0` | Seed. |\n", "") == text  # nothing else moved
    readme.write_text(new, encoding="utf-8")
    assert rc.check("toy", tmp_path, app) == []


def test_new_and_gone_commands(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    readme = _readme(tmp_path, _app())
    app = _app(extra=True, second=False)
    assert rc.check("toy", tmp_path, app) == [
        "toy run2: no block in the README",
        "toy other: a block, but no such command",
    ]
    with caplog.at_level("WARNING", logger=rc.log.name):
        new = rc.rewrite(readme.read_text(encoding="utf-8"), rc.render_blocks("toy", app))
    assert "toy other: no such command any more" in caplog.text and "added blocks for toy run2" in caplog.text
    assert "What toy other writes (hand-written)." in new  # prose is never dropped
    assert new.index("What toy other writes") < new.index("### `toy run2`") < new.index("## Next")
    readme.write_text(new, encoding="utf-8")
    assert rc.check("toy", tmp_path, app) == []


def test_check_command_exits_1_and_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _readme(tmp_path, _app())
    monkeypatch.setattr(
        rc, "readme_path", lambda domain, root=None: tmp_path / "packages" / "toy" / "README.md"
    )
    monkeypatch.setattr(rc, "render_blocks", lambda domain, app=None: {"nlp x": "### `nlp x`\n\n"})
    with caplog.at_level("ERROR", logger=rc.log.name):
        assert rc.main(["--check", "nlp"]) == 1
    assert "run: python -m carrousel_devdata.readme_commands" in caplog.text


def test_a_readme_without_markers_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# toy\n\n## Commands\n\nNo blocks.\n", encoding="utf-8")
    monkeypatch.setattr(rc, "readme_path", lambda domain, root=None: readme)
    monkeypatch.setattr(rc, "render_blocks", lambda domain, app=None: {"nlp x": "### `nlp x`\n\n"})
    with caplog.at_level("ERROR", logger=rc.log.name):
        assert rc.main(["nlp"]) == 1
    assert [r.message for r in caplog.records] == [
        "packages/nlp/README.md: no <!-- commands:begin NAME --> block: add the markers around the Commands "
        "section's tables"
    ]
    assert readme.read_text(encoding="utf-8").endswith("No blocks.\n")  # untouched
