"""``bio scan -o h.bed --plot p.png`` (and ``bio enrich -o e.tsv --plot e.png``) on a full disk: the chart's
write fails (exit 1, one line) and the earlier hits (table) and chart are both left byte for byte (before:
h.bed / e.tsv was already replaced by then)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.bio.motifs import resolve_motifs
from tests.cli_harness import Outcome, assert_clean_failure
from tests.open_faults import disk_full


def test_a_full_disk_at_the_chart_keeps_the_earlier_hits_and_chart(
    lcg_dna: Callable[[int, int], str],
    write_fasta: Callable[..., Path],
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib.figure import Figure

    site = resolve_motifs("CTCF")[0].consensus()
    seq = lcg_dna(3000, 7)
    seq = seq[:1000] + site + seq[1000 + len(site) :]
    fa = write_fasta(tmp_path / "genome.fa", {"chr1": seq})
    bed, png = tmp_path / "h.bed", tmp_path / "p.png"
    bed.write_bytes(b"earlier hits\n")
    png.write_bytes(b"earlier chart")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    res = invoke("bio", "scan", fa, "-m", "CTCF", "-o", bed, "--plot", png)
    assert_clean_failure(res, 1, "p.png")
    assert bed.read_bytes() == b"earlier hits\n"
    assert png.read_bytes() == b"earlier chart"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["genome.fa", "h.bed", "p.png"]  # no temporaries


def test_a_full_disk_at_the_enrich_chart_keeps_the_earlier_table_and_chart(
    peak_pair: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib.figure import Figure

    p, n = peak_pair(150, ("peaks.fa", "bg.fa"))
    tsv, png = tmp_path / "e.tsv", tmp_path / "e.png"
    tsv.write_bytes(b"earlier table\n")
    png.write_bytes(b"earlier chart")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    res = invoke("bio", "enrich", p, "--background", n, "-m", "MA0139.2", "-o", tsv, "--plot", png)
    assert_clean_failure(res, 1, "e.png")
    assert tsv.read_bytes() == b"earlier table\n"
    assert png.read_bytes() == b"earlier chart"
    assert not [q.name for q in tmp_path.iterdir() if q.name.startswith(".")]  # no temporaries
