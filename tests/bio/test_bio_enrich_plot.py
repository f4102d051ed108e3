"""``bio enrich --plot``: a PNG of the table's top motifs as bars of -log10 p, labelled and valued as the
table's rows, the BH cut-off marked; a bad path is refused before any work, and a PNG on stdout never
shares it with ``-o -`` or ``--json``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carrousel.bio import enrich_plot
from carrousel.bio.cli import app
from tests.cli_harness import record_figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PANEL = ("MA0142.1", "MA1962.1", "MA0785.2", "MA0496.4", "MA0117.3", "MA0139.2", "MA0138.3", "MA0106.3")

runner = CliRunner()


@pytest.fixture
def small_sets(peak_pair) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    return peak_pair(150, ("peaks.fa", "bg.fa"))


def _drawn(fig: Any) -> dict[str, Any]:
    (ax,) = fig.get_axes()
    bars = ax.patches
    return {
        "labels": [t.get_text() for t in ax.get_yticklabels()],
        "values": [b.get_width() for b in bars],
        "ys": [b.get_y() + b.get_height() / 2 for b in bars],
        "ticks": list(ax.get_yticks()),
        "lines": [ln.get_xdata()[0] for ln in ax.get_lines()],
        "legend": [t.get_text() for t in ax.get_legend().get_texts()],
        "title": ax.get_title(),
    }


def test_enrich_plot_bars_are_the_tables_top_rows(
    small_sets: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = record_figures(monkeypatch, enrich_plot, _drawn)
    p, n = small_sets
    png = tmp_path / "charts" / "enrich.png"
    args = ["enrich", str(p), "--background", str(n), "-m", ",".join(PANEL), "--top", "5"]
    res = runner.invoke(app, [*args, "--plot", str(png), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # --json is still strict JSON alone on stdout
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 5000
    assert doc["plots"] == [str(png)]  # the key of every command with --plot (before: no key)
    (fig,) = drawn
    top = doc["results"][:5]
    assert fig["labels"] == [f"{r['motif_name']} {r['motif_id']}" for r in top]
    assert fig["labels"][0] == "Pou5f1::Sox2 MA0142.1"  # Oct4 peaks: the Oct4-Sox2 motif first
    assert fig["values"] == pytest.approx([-r["log10_pvalue"] for r in top], abs=1e-3)
    assert fig["ticks"] == fig["ys"]  # each label sits on its own bar
    # the dashed line: BH cut-off alpha * k / m, which the significant bars reach and the others do not
    k, m = doc["significant_q05"], doc["motifs"]
    (cut,) = fig["lines"]
    assert cut == pytest.approx(-math.log10(0.05 * max(k, 1) / m))
    assert [v >= cut for v in fig["values"]] == [r["qvalue"] <= 0.05 for r in top]
    assert fig["legend"][0].startswith("BH q = 0.05")
    assert fig["title"] == f"peaks.fa (150) vs bg.fa (150): top 5 of {len(PANEL)} motifs"


@pytest.mark.parametrize(
    ("extra", "names"), [(["-o", "-"], "--out"), (["--json"], "--json"), (["-o", "/dev/stdout"], "--out")]
)
def test_enrich_png_on_stdout_with_another_stdout_output_is_a_usage_error(
    small_sets: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, extra: list[str], names: str
) -> None:
    from carrousel.bio import pipeline

    def no_work(*_: Any, **__: Any) -> None:
        raise AssertionError("enriched before the outputs were checked")

    monkeypatch.setattr(pipeline, "enrich", no_work)
    p, n = small_sets
    res = runner.invoke(app, ["enrich", str(p), "--background", str(n), "--plot", "/dev/stdout", *extra])
    assert res.exit_code == 2, res.output
    assert names in res.stderr and "stdout" in res.stderr and not res.stdout


def test_enrich_json_without_plot_lists_no_plots(small_sets: tuple[Path, Path]) -> None:
    """``"plots"``: [] without --plot, as bio scan, bio evaluate and finance forecast give it."""
    p, n = small_sets
    res = runner.invoke(app, ["enrich", str(p), "--background", str(n), "-m", PANEL[0], "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["plots"] == []
