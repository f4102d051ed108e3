"""End to end ``bio train --peaks --genome``: CTCF sites planted in real E. coli sequence, a BED of peaks of
mixed widths, GC-matched background from the genome, a model that finds held-out sites."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import carrousel.bio.data as data
from carrousel.bio.cli import app
from carrousel.bio.config import TrainDataConfig
from carrousel.bio.data import gc_matched_windows
from carrousel.bio.errors import TrainingDataError
from carrousel.bio.fasta import iter_records
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pipeline import load_model
from carrousel.bio.synth import plant, sample_instance
from carrousel.core.metrics import roc_auc
from carrousel.core.option_names import flags_named

runner = CliRunner()
ALPHABET = np.array(list("ACGTN"))


def _write_fasta(path: Path, records: dict[str, np.ndarray]) -> Path:
    lines = []
    for name, codes in records.items():
        s = "".join(ALPHABET[codes])
        lines += [f">{name}"] + [s[i : i + 80] for i in range(0, len(s), 80)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _gc(w: np.ndarray) -> np.ndarray:
    return ((w == 1) | (w == 2)).mean(axis=1)


def test_train_from_peaks_end_to_end(tmp_path: Path, ecoli_fa: Path, monkeypatch) -> None:
    rng = np.random.default_rng(1)
    ctcf = resolve_motifs("CTCF")[0]
    ecoli = next(iter(iter_records(ecoli_fa)))[1]
    genome = {"chr1": ecoli[:240_000].copy(), "chr2": ecoli[240_000:400_000].copy()}
    # one strong CTCF site every ~2 kb; 3 of 4 are peaks in the BED, the rest are held out
    sites = []
    for chrom, seq in genome.items():
        for a in range(1000, seq.size - 1000, 1000):
            pos = a + int(rng.integers(-200, 200))
            plant(seq, sample_instance(ctcf, rng, sharpen=2.0), pos, 1 if rng.random() < 0.5 else -1)
            sites.append((chrom, pos))
    fa = _write_fasta(tmp_path / "genome.fa", genome)
    train_sites = [s for i, s in enumerate(sites) if i % 4]
    held_sites = [s for i, s in enumerate(sites) if i % 4 == 0]
    bed = ["track name=ctcf", "# planted CTCF peaks"]
    for i, (chrom, pos) in enumerate(train_sites):
        mid = pos + ctcf.length // 2 + int(rng.integers(-40, 40))  # the site lies near the peak's centre
        if i % 3 == 0:  # narrowPeak with a summit, peak 300-800 bp wide
            start = mid - int(rng.integers(100, 400))
            end = mid + int(rng.integers(200, 400))
            bed.append(f"{chrom}\t{start}\t{end}\tp{i}\t500\t.\t9.1\t-1\t-1\t{mid - start}")
        else:  # BED3, 150-600 bp, centred on the peak
            half = int(rng.integers(75, 300))
            bed.append(f"{chrom}\t{mid - half}\t{mid + half}")
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("\n".join(bed) + "\n")

    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def spy(genome, targets, n_per, rng, exclude=None):  # records the negatives the pipeline draws
        neg = gc_matched_windows(genome, targets, n_per, rng, exclude)
        seen.append((targets, neg))
        return neg

    monkeypatch.setattr(data, "gc_matched_windows", spy)
    out = tmp_path / "model"
    args = ["train", "--peaks", str(peaks), "--genome", str(fa), "-o", str(out), "--seed", "0"]
    args += ["--epochs", "12", "--filters", "16", "--kernel", "15", "--hidden", "8", "--batch-size", "32"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["tasks"] == 1 and summary["windows"] == 2 * len(train_sites)
    assert summary["val"]["auroc"] >= 0.7  # small, noisy validation split; chance is 0.5

    # negatives: one per peak window, GC-matched to the positives; then fresh ones, never trained on,
    # scored as the model's background null
    (pos_w, neg_w), (pos_b, bg_w) = seen
    assert neg_w.shape == pos_w.shape == (len(train_sites), 200)
    assert pos_b is pos_w and bg_w.shape[0] >= 1000 and abs(_gc(bg_w).mean() - _gc(pos_w).mean()) < 0.01
    assert abs(_gc(pos_w).mean() - _gc(neg_w).mean()) < 0.01
    assert np.median(np.abs(np.sort(_gc(pos_w)) - np.sort(_gc(neg_w)))) < 0.02

    # the saved folder loads; held-out planted sites score above GC-matched background from unseen E. coli
    bundle = load_model(out)
    assert bundle.background is not None and bundle.background.null.shape == (1, bg_w.shape[0])
    assert bundle.window == 200 and bundle.model.config.filters == 16
    held = []
    for chrom, p in held_sites:
        a = p + ctcf.length // 2 - 100 + int(rng.integers(-50, 50))
        held.append(genome[chrom][a : a + 200])
    held_w = np.stack(held)
    other = _write_fasta(tmp_path / "other.fa", {"x": ecoli[1_000_000:1_300_000]})
    bg = gc_matched_windows(other, held_w, 2, np.random.default_rng(2))
    scores = bundle.logits(np.concatenate([held_w, bg]))[:, 0]
    labels = np.r_[np.ones(len(held_w)), np.zeros(len(bg))]
    auroc = roc_auc(torch.from_numpy(scores), torch.from_numpy(labels).long())
    assert auroc >= 0.8, f"held-out AUROC {auroc:.3f} (chance 0.5)"


def test_peaks_on_unknown_chromosome_is_one_clear_line(tmp_path: Path, write_fasta) -> None:
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 200})
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("chrX\t100\t300\n")
    res = runner.invoke(app, ["train", "--peaks", str(peaks), "--genome", str(fa), "-o", str(tmp_path / "m")])
    assert res.exit_code == 1
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "chrX" in lines[0] and "record names" in lines[0]
    assert "Traceback" not in res.output
    assert not (tmp_path / "m").exists()


def test_peaks_on_unknown_chromosome_names_the_genome_records(tmp_path: Path, write_fasta) -> None:
    """BED names written as the accession (NC_008253.1) against an NCBI FASTA whose record is
    ``gi|110640213|ref|NC_008253.1|``: the error quotes the genome's record names, so the near miss shows."""
    fa = write_fasta(tmp_path / "g.fa", {f"gi|1|ref|NC_{i}.1|": "ACGT" * 200 for i in range(5)})
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("NC_0.1\t100\t300\n")
    res = runner.invoke(app, ["train", "--peaks", str(peaks), "--genome", str(fa), "-o", str(tmp_path / "m")])
    assert res.exit_code == 1
    line = res.output.strip()
    assert "whose records are gi|1|ref|NC_0.1|, gi|1|ref|NC_1.1|, gi|1|ref|NC_2.1| and 2 more" in line, line
    assert "\n" not in line and not (tmp_path / "m").exists()


def test_background_windows_avoid_excluded_regions(tmp_path: Path) -> None:
    """GC-matched background for --peaks training never overlaps a peak."""
    from carrousel.bio.bed import merge_intervals
    from carrousel.bio.data import gc_matched_windows, genome_windows

    rng = np.random.default_rng(0)
    seq = rng.integers(0, 4, 20_000)
    seq[:10] = 0
    seq[5_000:5_030] = 3  # a T run marks the excluded stretch, found again by content
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + "".join("ACGT"[int(c)] for c in seq) + "\n")
    exclude = merge_intervals([("chrA", 4_000, 6_000), ("chrA", 5_500, 9_000), ("chrB", 0, 10)])
    starts, ends = exclude["chrA"]
    assert starts.tolist() == [4_000] and ends.tolist() == [9_000]  # overlapping peaks merged
    windows = genome_windows(fa, 50, 400, rng, exclude)
    text = ["".join("ACGT"[int(c)] for c in w) for w in windows]
    assert not any("T" * 30 in t or "A" * 30 in t for t in text)  # the marked stretch never appears
    plain = genome_windows(fa, 50, 4_000, np.random.default_rng(1))
    plain_text = ["".join("ACGT"[int(c)] for c in w) for w in plain]
    assert any("T" * 30 in t or "A" * 30 in t for t in plain_text)  # it does appear without exclude
    targets = windows[:20]
    matched = gc_matched_windows(fa, targets, 2, rng, exclude)
    assert matched.shape == (40, 50)


def test_positives_and_peaks_together_are_refused(invoke, tmp_path: Path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    """--positives and --peaks both give the positives: the command trained on --positives and ignored
    --peaks without a word (a file of random bytes given as --peaks passed); now one line before any work."""
    rng = np.random.default_rng(0)
    pos = write_fasta(
        tmp_path / "pos.fa", {f"p{i}": "".join(rng.choice(list("ACGT"), 100)) for i in range(40)}
    )
    peaks = tmp_path / "junk.bed"
    peaks.write_bytes(bytes(range(256)))
    out = tmp_path / "m"
    small = ["--window", "100", "--epochs", "1", "--filters", "4", "--kernel", "9", "--hidden", "4"]
    outcome = invoke("bio", "train", "--positives", pos, "--peaks", peaks, "-o", out, *small)
    assert outcome.code in (1, 2) and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and "--positives and --peaks" in lines[0], outcome.stderr
    assert not out.exists()


@pytest.mark.parametrize("flags", [False, True])
@pytest.mark.parametrize("source", ["positives", "peaks"])
def test_shared_negatives_name_both_files(tmp_path: Path, source: str, flags: bool) -> None:
    """Negatives that are the positives' own windows are refused in one line naming both sources, as a
    Python caller set them (``peaks='p.bed' and negatives='n.fa'``) or as a command's flags."""
    g = "".join(np.random.default_rng(0).choice(list("ACGT"), 40_000))
    (tmp_path / "g.fa").write_text(f">chr1\n{g}\n")
    (tmp_path / "p.bed").write_text("".join(f"chr1\t{i * 1000}\t{i * 1000 + 200}\n" for i in range(1, 31)))
    neg = tmp_path / "n.fa"
    neg.write_text("".join(f">n{i}\n{g[i * 1000 : i * 1000 + 200]}\n" for i in range(1, 31)))
    given = {"positives": str(neg)} if source == "positives" else {"peaks": str(tmp_path / "p.bed")}
    first = neg if source == "positives" else tmp_path / "p.bed"
    cfg = TrainDataConfig(negatives=str(neg), genome=str(tmp_path / "g.fa"), **given)
    with pytest.raises(TrainingDataError) as info, flags_named() if flags else contextlib.nullcontext():
        data.training_set(cfg, [])
    pair = (
        f"--{source} {first} and --negatives {neg}" if flags else f"{source}='{first}' and negatives='{neg}'"
    )
    assert f"30 of 30 positive sequences also appear among the negatives ({pair})" in str(info.value)


def test_gc_matched_background_reads_the_gc_of_bases_not_n(tmp_path: Path) -> None:
    """A peak window padded with N (run off a record's end) or holding an N run is matched by the GC of its
    bases: before, N counted as A/T, so a half-N window of GC 0.8 got background windows of GC 0.4."""
    rng = np.random.default_rng(0)

    def stretch(gc: float, n: int) -> str:
        return "".join(rng.choice(list("ACGT"), n, p=[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]))

    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + "".join(stretch(gc, 5_000) for gc in (0.2, 0.4, 0.6, 0.8)) + "\n")
    targets = np.full((20, 200), 4, dtype=np.uint8)  # 100 bases of GC 0.8, then 100 N
    targets[:, :100] = [["ACGT".index(b) for b in stretch(0.8, 100)] for _ in range(20)]
    matched = gc_matched_windows(fa, targets, 1, np.random.default_rng(1))
    target_gc = ((targets == 1) | (targets == 2)).sum(axis=1) / (targets < 4).sum(axis=1)
    matched_gc = ((matched == 1) | (matched == 2)).mean(axis=1)
    assert abs(matched_gc.mean() - target_gc.mean()) < 0.05, (matched_gc.mean(), target_gc.mean())
