"""Duplicate record names are refused before any work: a pass over the header lines alone names the
duplicate and both lines (the streaming reader found one only on reaching it, minutes into a model scan)."""

from __future__ import annotations

import gzip

import pytest
from typer.testing import CliRunner

from carrousel.bio import bundle, fasta_names, scan_run
from carrousel.bio.cli import app
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta_names import check_unique_names

TEXT = ">a first\nACGT\nACGT\n>b\nAC\n>\n>c\r\nGG\r\n>b again\nTTTT\n"  # b: lines 4 and 9


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
def test_duplicate_named_with_both_lines_whatever_the_blocks(tmp_path, monkeypatch, gz, block) -> None:
    monkeypatch.setattr(fasta_names, "READ_BLOCK", block)
    path = tmp_path / ("dup.fa.gz" if gz else "dup.fa")
    path.write_bytes(gzip.compress(TEXT.encode()) if gz else TEXT.encode())
    with pytest.raises(FastaFormatError, match=r"duplicate record name 'b' \(line 9; first on line 4\)"):
        check_unique_names(path)
    ok = tmp_path / ("ok.fa.gz" if gz else "ok.fa")
    text = "\ufeff>a\nAC>GT\n>ab\n>b\nA\n>c"  # a BOM, '>' inside a line, a last header without newline
    ok.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    check_unique_names(ok)


def _no_work(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("the scan started")


@pytest.mark.parametrize("method", ["model", "pwm", "both"])
def test_scan_refuses_duplicates_before_any_work(tmp_path, write_fasta, monkeypatch, method) -> None:
    """No model is loaded, the scan function is never called and nothing is written."""
    monkeypatch.setattr(scan_run, "scan_genome", _no_work)
    monkeypatch.setattr(bundle, "load_model", _no_work)
    genome = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 300, "chr2": "GGCC" * 100})
    genome.write_text(genome.read_text() + ">chr1 again\nACGT\n")
    out = tmp_path / "hits.bed"
    res = CliRunner().invoke(app, ["scan", str(genome), "--method", method, "-m", "CTCF", "-o", str(out)])
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "duplicate record name 'chr1' (line 30; first on line 1)" in lines[0]
    assert "Traceback" not in res.output and not out.exists()


def test_scan_refuses_a_model_background_with_duplicates(tmp_path, write_fasta, monkeypatch) -> None:
    monkeypatch.setattr(scan_run, "scan_genome", _no_work)
    monkeypatch.setattr(bundle, "load_model", _no_work)
    genome = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    bg = tmp_path / "bg.fa.gz"
    bg.write_bytes(gzip.compress(b">x\nACGT\n>y\nAC\n>x\nGT\n"))
    res = CliRunner().invoke(app, ["scan", str(genome), "--model-background", str(bg)])
    assert (
        res.exit_code == 1 and "bg.fa.gz: duplicate record name 'x' (line 5; first on line 1)" in res.output
    )
