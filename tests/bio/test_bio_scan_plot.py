"""``bio scan --plot``: a PNG of the hits per motif (the ``--json`` summary's counts) and of where the top
motifs' hits fall (within each sequence for a peak set, along the sequences for a genome), read from the
hits a table at a time; a bad path is refused before any work, and a PNG on stdout never shares it with
the hits or ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.bio import scan_plot
from carrousel.bio.motifs import resolve_motifs
from tests.cli_harness import Outcome, assert_clean_failure, record_figures, run_entry

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PANEL = "MA0142.1,MA1962.1,MA0139.2,MA0117.3,MA0106.3,MA0138.3"


def _drawn(fig: Any) -> dict[str, Any]:
    bars, tracks = fig.get_axes()[:2]
    return {
        "labels": [t.get_text() for t in bars.get_yticklabels()],
        "values": [b.get_width() for b in bars.patches],
        "lines": {ln.get_label(): (ln.get_xdata(), ln.get_ydata()) for ln in tracks.get_lines()},
        "xlabel": tracks.get_xlabel(),
        "notes": [t.get_text() for t in tracks.texts],
        "title": fig._suptitle.get_text(),
    }


def _tracks(fig: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {k: v for k, v in fig["lines"].items() if not k.startswith("_")}


def test_scan_plot_of_a_peak_set_is_the_json_counts_and_shows_the_motif_at_the_centre(
    peak_pair: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = record_figures(monkeypatch, scan_plot, _drawn)
    peaks, _ = peak_pair(300)
    png = tmp_path / "charts" / "scan.png"
    res = invoke("bio", "scan", peaks, "-m", PANEL, "-o", tmp_path / "hits.bed", "--json", "--plot", png)
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)  # --json is still strict JSON alone on stdout
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 20_000
    assert doc["plots"] == [str(png)]  # the chart written, as finance's forecast lists its charts
    (fig,) = drawn
    per = sorted(doc["hits_per_motif"].items(), key=lambda kv: -kv[1]["hits"])
    assert fig["labels"] == [f"{v['name']} {k}" for k, v in per]
    assert fig["values"] == [v["hits"] for _, v in per]
    assert fig["labels"][0] == "Pou5f1::Sox2 MA0142.1"  # Oct4 peaks: the Oct4-Sox2 motif hits most
    tracks = _tracks(fig)
    assert list(tracks) == [f"{v['name']} {k} ({v['hits']:,})" for k, v in per[: scan_plot.TRACKS]]
    for (_, v), (x, share) in zip(per, tracks.values(), strict=False):
        assert share.sum() * v["hits"] / 100 == pytest.approx(v["hits"])  # every hit in one bin
        assert x.min() > 0 and x.max() < 1  # positions within the sequence (300 records > ALONG_RECORDS)
    x, share = tracks[fig["labels"][0] + f" ({per[0][1]['hits']:,})"]
    assert share[(x > 0.25) & (x < 0.75)].sum() > 65  # bound where the peak summit is (uniform: 50%)
    assert "within the sequence" in fig["xlabel"] and "300 sequences" in fig["xlabel"]
    assert fig["title"].startswith(
        f"p.fa: PWM scan of 300 sequences, 60,000 bp; {doc['hits']:,} hits (PWM p <="
    )


def test_scan_plot_of_a_genome_places_the_hits_along_it_from_the_spilled_store(
    lcg_dna: Callable[[int, int], str],
    write_fasta: Callable[..., Path],
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from carrousel.bio.config import ScanConfig
    from carrousel.bio.hit_store import SpilledHits
    from carrousel.bio.scan_run import scan

    site = resolve_motifs("CTCF")[0].consensus()
    planted = lcg_dna(4000, 7)
    for at in range(2000, 2400, 50):  # eight sites at 2.0-2.4 kb of chr2 (7.0-7.4 kb end to end)
        planted = planted[:at] + site + planted[at + len(site) :]
    fa = write_fasta(tmp_path / "genome.fa", {"chr1": lcg_dna(5000, 3), "chr2": planted})
    drawn = record_figures(monkeypatch, scan_plot, _drawn)
    res = invoke("bio", "scan", fa, "-m", "CTCF", "-o", tmp_path / "hits.bed", "--plot", tmp_path / "g.png")
    assert res.code == 0, res.stderr
    assert "scan chart written to" in res.stdout
    (fig,) = drawn
    ((x, share),) = _tracks(fig).values()
    assert 7.0 <= x[np.argmax(share)] <= 7.5  # kb along the genome: the planted cluster
    assert [ln[0][0] for k, ln in fig["lines"].items() if k.startswith("_")] == [5.0]  # chr2 starts
    assert fig["notes"] == ["chr1", "chr2"] and "the 2 sequences end to end (kb)" in fig["xlabel"]

    result = scan(ScanConfig(motifs=("CTCF",)), fa)  # the chart's pass reads the store a table at a time
    profile = scan_plot.scan_profile(result)
    assert isinstance(result.hits, SpilledHits) and result.hits._cols is None  # no whole columns built
    assert dict(zip(profile.keys, profile.counts.tolist(), strict=True)) == {
        k: v["hits"] for k, v in result.summary()["hits_per_motif"].items()
    }
    assert profile.along.shape == profile.within.shape == (1, scan_plot.BINS)


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import carrousel.bio.scan_run as scan_run

    def no_work(*_: Any, **__: Any) -> None:
        raise AssertionError("scanned before --plot was checked")

    monkeypatch.setattr(scan_run, "scan", no_work)


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ([], "where --out (stdout when not given) prints"),
        (["-o", "-"], "where --out prints"),
        (["--json"], "--json"),
    ],
)
def test_scan_png_on_stdout_with_another_stdout_output_is_a_usage_error(
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    names: str,
) -> None:
    _no_work(monkeypatch)
    (tmp_path / "g.fa").write_text(">a\nACGT\n")
    out = invoke("bio", "scan", tmp_path / "g.fa", "-m", "CTCF", "--plot", "/dev/stdout", *extra)
    assert_clean_failure(out, 2, names)
    assert "'--plot'" in out.error_lines()[0]


def test_scan_png_on_stdout_with_hits_in_a_file_is_the_png_alone(
    tmp_path: Path, write_fasta: Callable[..., Path], capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 300})
    code, out, err = run_entry(capfdbinary, "bio", "scan", fa, "-m", "CTCF", "-o", tmp_path / "h.bed",
                               "--plot", "/dev/stdout", "--no-progress")  # fmt: skip
    assert code == 0, err
    assert out.startswith(PNG_MAGIC) and out.rstrip().endswith(b"IEND\xaeB`\x82")  # nothing after it
    assert (tmp_path / "h.bed").is_file()


@pytest.mark.parametrize(
    ("name", "message"), [("chart.txt", "must end in .png"), ("file.txt/chart.png", "is a file")]
)
def test_a_bad_scan_plot_path_fails_before_any_work(
    tmp_path: Path, invoke: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, name: str, message: str
) -> None:
    _no_work(monkeypatch)
    (tmp_path / "file.txt").write_text("x")
    out = invoke("bio", "scan", tmp_path / "missing.fa", "-m", "CTCF", "--plot", tmp_path / name)
    assert_clean_failure(out, 1, message)
    assert "--plot" in out.error_lines()[0]
