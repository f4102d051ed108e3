"""A PWM scan's fixed memory cost: the ``bio scan`` CLI imports neither torch nor the model code on the PWM
path (~0.5 GB of a 1-motif scan's peak), the workers add their scores into one running histogram per
motif (no histogram per motif and chunk), and ``scan_genome`` called from Python refuses a duplicate record name up
front, as ``pipeline.scan`` does, without the CLI reading the headers twice."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from carrousel.bio import fasta_names, pipeline, scan
from carrousel.bio.config import ScanConfig
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import encode, iter_chunks
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows

_PWM_CLI = """
import sys
from carrousel.bio.cli import main
sys.argv = ["bio", "scan", sys.argv[1], "-m", "CTCF", "--method", "pwm", "-o", sys.argv[2], "--no-progress"]
try:
    main()
except SystemExit as e:
    assert not e.code, e.code
heavy = sorted(m for m in ("torch", "carrousel.bio.models", "carrousel.bio.model_scan") if m in sys.modules)
print("HEAVY", heavy)
"""


def test_a_pwm_scan_from_the_cli_imports_no_torch(tmp_path, write_fasta) -> None:
    genome = write_fasta(tmp_path / "g.fa", {"chr1": "ACGTTGCA" * 400})
    out = tmp_path / "hits.bed"
    res = subprocess.run(
        [sys.executable, "-c", _PWM_CLI, str(genome), str(out)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr
    assert "HEAVY []" in res.stdout and out.exists()


def test_workers_add_their_scores_into_one_histogram_per_motif(tmp_path, write_fasta) -> None:
    """A job returns no histogram: it adds its scores into its motif's running histogram (two workers, a
    reused scratch), which ends equal to one whole-sequence histogram, with every score too."""
    rng = np.random.default_rng(3)
    text = "".join(rng.choice(list("ACGT"), 30_000))
    genome = write_fasta(tmp_path / "g.fa", {"chr1": text})
    motifs = resolve_motifs(["CTCF", "SP1"])
    for every in (False, True):
        pwms = [IntegerPWM(m) for m in motifs]
        scanner = scan.PWMScanner(pwms, 1e-3, threads=2, exact_qvalues=every)
        for chunk in iter_chunks(genome, 4000, scanner.max_length - 1):
            limit = chunk.codes.size if chunk.last else chunk.codes.size - scanner.max_length + 1
            scanner.process(chunk, limit)
        scanner.finish()
        for k, pw in enumerate(pwms):
            got = scanner.histogram(k)
            whole = np.zeros(pw.sf.size, dtype=np.int64)
            codes = encode(text)
            scan_windows(pw, SequenceCodes(codes), codes.size, pw.threshold(1e-3), whole, every)
            assert np.array_equal(got, whole) and got.sum() > 0


def test_scan_genome_refuses_a_duplicate_name_before_any_work(tmp_path, write_fasta, monkeypatch) -> None:
    def no_work(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the scan started")

    monkeypatch.setattr(scan, "iter_chunks", no_work)
    monkeypatch.setattr(scan, "estimate_background", no_work)
    genome = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 300, "chr2": "GGCC" * 100})
    genome.write_text(genome.read_text() + ">chr1 again\nACGT\n")
    with pytest.raises(FastaFormatError, match=r"duplicate record name 'chr1' \(line 30; first on line 1\)"):
        scan.scan_genome(genome, ScanConfig(motifs=("CTCF",), background="input"))


def test_pipeline_scan_reads_the_headers_once(tmp_path, write_fasta, monkeypatch) -> None:
    calls = []
    real = fasta_names.check_unique_names

    def counted(path):  # type: ignore[no-untyped-def]
        calls.append(path)
        real(path)

    monkeypatch.setattr(fasta_names, "check_unique_names", counted)
    monkeypatch.setattr(scan, "check_unique_names", counted)
    genome = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 300})
    pipeline.scan(ScanConfig(motifs=("CTCF",)), genome)
    assert calls == [genome]
    scan.scan_genome(genome, ScanConfig(motifs=("CTCF",)))
    assert calls == [genome, genome]
