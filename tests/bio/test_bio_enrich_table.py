"""``bio enrich``'s table keeps its numbers readable beside a long motif ID. The ID column did not wrap, so a
HOMER motif's ID (``ETS:RUNX(ETS,Runt)/Jurkat-RUNX1-ChIP-Seq(GSE17954)/Homer``) took the 80-column table's
width and every number column shrank to an ellipsis ('…'): the fold, p and q of every motif unreadable."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from carrousel.bio.cli import app

ID = "ETS:RUNX(ETS,Runt)/Jurkat-RUNX1-ChIP-Seq(GSE17954)/Homer"


def test_a_long_motif_id_wraps_and_the_numbers_stay(tmp_path: Path, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    motif = tmp_path / "m.jaspar"
    motif.write_text(f">{ID} {ID}\nA [ 9 0 0 0 9 ]\nC [ 0 9 0 0 0 ]\nG [ 0 0 9 0 0 ]\nT [ 0 0 0 9 0 ]\n")
    targets, background = tmp_path / "t.fa", tmp_path / "b.fa"
    targets.write_text("".join(f">t{i}\n{lcg_dna(100, i)}ACGTA\n" for i in range(12)))
    background.write_text("".join(f">b{i}\n{lcg_dna(105, 50 + i)}\n" for i in range(12)))
    res = CliRunner().invoke(
        app,
        ["enrich", str(targets), "--background", str(background), "-m", str(motif)],
        env={"COLUMNS": "80"},
    )
    assert res.exit_code == 0, res.output
    header = next((line for line in res.output.splitlines() if "% tgt" in line), "")
    assert all(c in header for c in ("% tgt", "% bg", "fold", "log10 p", "q-value")), res.output
    assert "…" not in res.output and "Homer" in res.output.replace("\n", ""), res.output
