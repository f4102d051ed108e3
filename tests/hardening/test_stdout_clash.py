"""Two outputs that both claim stdout (a table's ``--out -``, a chart's ``--plot /dev/stdout``, ``--json``)
are one usage error worded one way in every command (:func:`carrousel.core.cli_outputs.stdout_clash`).

Before, the same problem read three ways: "it names stdout, where --out prints; give one of them" (bio
enrich), "it names stdout, where the hits print; write them with --out FILE" (bio scan) and "--out names
stdout too; give one of them there" (finance predict).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from tests.cli_harness import Outcome, assert_clean_failure

ONE_WORDING = re.compile(
    r"^error: Invalid value for '(--plot|--out)( \(stdout when not given\))?': it names stdout, "
    r"where (--json|--out)"
    r"( \(stdout when not given\))? prints; give one of them; see '\w+ [\w-]+( run)? --help'$"
)


def _inputs(d: Path) -> dict[str, list[str | Path]]:
    (d / "g.fa").write_text(">a\nACGT\n")
    (d / "d.csv").write_text("unique_id,ds,y\na,2020-01-01,1\n")
    (d / "m").mkdir()
    return {
        "bio-enrich": ["bio", "enrich", d / "g.fa", "--background", d / "g.fa"],
        "bio-scan": ["bio", "scan", d / "g.fa", "-m", "CTCF"],
        "finance-predict": ["finance", "predict", "--data", d / "d.csv", "--model-dir", d / "m"],
    }


CLASHES: dict[str, tuple[list[str], str, str]] = {  # extra arguments, the option refused, the other output
    "out-dash+plot": (["-o", "-", "--plot", "/dev/stdout"], "--plot", "--out"),
    "out-devstdout+plot": (["-o", "/dev/stdout", "--plot", "/dev/fd/1"], "--plot", "--out"),
    "out+json": (["-o", "-", "--json"], "--out", "--json"),
    "plot+json": (["--plot", "/dev/stdout", "--json"], "--plot", "--json"),
}


@pytest.mark.parametrize("clash", sorted(CLASHES))
@pytest.mark.parametrize("command", ["bio-enrich", "bio-scan", "finance-predict"])
def test_two_outputs_on_stdout_read_one_way_in_every_command(
    invoke: Callable[..., Outcome], tmp_path: Path, command: str, clash: str
) -> None:
    prog, *args = _inputs(tmp_path)[command]
    extra, flag, other = CLASHES[clash]
    outcome = invoke(prog, *args, *extra)
    assert_clean_failure(outcome, 2, f"'{flag}': it names stdout, where {other} prints; give one of them")
    assert ONE_WORDING.match(outcome.error_lines()[0]), outcome.error_lines()[0]


def test_a_chart_on_stdout_beside_the_hits_printed_there_reads_the_same_way(
    invoke: Callable[..., Outcome], tmp_path: Path
) -> None:
    prog, *args = _inputs(tmp_path)["bio-scan"]
    outcome = invoke(prog, *args, "--plot", "/dev/stdout")  # no --out: the hits print on stdout
    assert_clean_failure(outcome, 2, "where --out (stdout when not given) prints; give one of them")
    assert ONE_WORDING.match(outcome.error_lines()[0]), outcome.error_lines()[0]


def test_the_one_message() -> None:
    from carrousel.core.cli_outputs import stdout_clash

    err = stdout_clash("--plot", "--json")
    assert err.param_hint == "'--plot'"
    assert err.message == "it names stdout, where --json prints; give one of them"


def test_one_helper_decides_the_table_on_stdout_for_every_command() -> None:
    """bio enrich, bio scan and finance predict each checked their table's stdout by hand (three orders of
    the same checks); :func:`table_on_stdout` is the one place now, ``printed`` for scan's hits."""
    from carrousel.core.cli_outputs import table_on_stdout

    dash, png, std = Path("-"), Path("c.png"), Path("/dev/stdout")
    assert table_on_stdout(dash, None, False) and table_on_stdout(dash, png, False)
    assert not table_on_stdout(None, std, False) and not table_on_stdout(Path("t.tsv"), std, False)
    assert table_on_stdout(None, png, False, printed=True)
    assert not table_on_stdout(None, std, True, printed=True)  # --json prints there instead
    for out, plot, as_json, printed, message in (
        (dash, std, False, False, "it names stdout, where --out prints"),
        (None, std, False, True, "it names stdout, where --out (stdout when not given) prints"),
        (dash, None, True, True, "it names stdout, where --json prints"),
    ):
        with pytest.raises(typer.BadParameter, match=re.escape(message)):
            table_on_stdout(out, plot, as_json, printed=printed)


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["-o", "-"], "--out"),
        (["-o", "/dev/stdout"], "--out"),
        ([], "--out (stdout when not given)"),  # the catalogue goes to stdout when --out is not given
    ],
)
def test_translate_po_on_stdout_beside_json_reads_the_same_way(
    invoke: Callable[..., Outcome], tmp_path: Path, extra: list[str], flag: str
) -> None:
    """``nlp translate --po`` had its own words for its catalogue on stdout beside ``--json`` ("the catalogue
    goes to stdout, where --json prints; give --out FILE", on ``--json``): now the shared rule's."""
    po, model = tmp_path / "de.po", tmp_path / "m"
    po.write_text('msgid "a"\nmsgstr ""\n', encoding="utf-8")
    model.mkdir()
    outcome = invoke("nlp", "translate", "--model", model, "--po", po, *extra, "--json")
    assert_clean_failure(outcome, 2, f"'{flag}': it names stdout, where --json prints; give one of them")
    assert ONE_WORDING.match(outcome.error_lines()[0]), outcome.error_lines()[0]
