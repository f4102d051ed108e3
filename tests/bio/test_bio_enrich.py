"""``bio enrich``: the hypergeometric tail against direct sums, per-record hits against per-record scans,
and on real ChIP-seq peaks the factor's own motif family at the top (Oct4 vs Mafk peaks and the reverse)."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio import pipeline
from carrousel.bio.cli import app
from carrousel.bio.config import EnrichConfig, ScanConfig
from carrousel.bio.dna import encode
from carrousel.bio.enrich import PackedSequences, composition, fold_enrichment, hypergeometric_log_sf
from carrousel.bio.errors import EnrichConfigError, SequenceSetError
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
from carrousel.bio.scan import scan_genome

runner = CliRunner()

# 20 motifs: the two factors' own families and 13 others
POU = ("MA0142.1", "MA1962.1", "MA0785.2", "MA1115.2", "MA0507.3")  # Pou5f1::Sox2, POU2F1::SOX2, ...
MAF = ("MA0496.4", "MA0117.3", "MA0150.3", "MA0591.2")  # MAFK, Mafb, Nfe2l2, Bach1::Mafk
OTHERS = (
    "MA0139.2", "MA0138.3", "MA0106.3", "MA0039.5", "MA0079.5", "MA0035.5", "MA0105.4",
    "MA0147.4", "MA0112.4", "MA0148.5", "MA0466.4",
)  # fmt: skip
PANEL = POU + MAF + OTHERS


def _direct_sf(k: int, n: int, hits: int, total: int) -> float:
    """``P(X >= k)`` summed exactly over the hypergeometric pmf with integer binomials."""
    tail = sum(
        Fraction(math.comb(hits, i) * math.comb(total - hits, n - i), math.comb(total, n))
        for i in range(k, min(n, hits) + 1)
    )
    return float(tail)


@pytest.mark.parametrize(
    "k,n,hits,total",
    [
        (3, 5, 4, 10),
        (0, 5, 4, 10),
        (4, 5, 4, 10),
        (7, 20, 9, 50),
        (12, 30, 15, 40),
        (1, 1, 1, 2),
        (30, 60, 35, 130),
    ],
)
def test_hypergeometric_tail_matches_direct_sum(k: int, n: int, hits: int, total: int) -> None:
    assert math.exp(hypergeometric_log_sf(k, n, hits, total)) == pytest.approx(
        _direct_sf(k, n, hits, total), rel=1e-10
    )


def test_hypergeometric_tail_far_below_float_range() -> None:
    """2,900 of 3,900 targets vs 600 of 3,900 background: p is about 1e-620, its log stays exact."""
    log_p = hypergeometric_log_sf(2900, 3900, 3500, 7800)
    exact = sum(math.comb(3500, i) * math.comb(4300, 3900 - i) for i in range(2900, 3501))  # integers
    assert log_p / math.log(10) < -600
    assert log_p == pytest.approx(math.log(exact) - math.log(math.comb(7800, 3900)), abs=1e-8)
    with pytest.raises(ValueError):
        hypergeometric_log_sf(6, 5, 6, 10)
    assert fold_enrichment(50, 100, 0, 100) == 100.0  # an empty background counts as half a sequence


def test_records_with_hits_match_per_record_scans(rng) -> None:
    """Packing records with an N between them flags exactly the records a scan of each alone flags."""
    motif = resolve_motifs("MA0139.2")[0]
    pw = IntegerPWM(motif)
    thr = pw.threshold(1e-4)
    site = encode(motif.consensus())
    records = [rng.integers(0, 4, size=int(rng.integers(10, 80))).astype(np.uint8) for _ in range(60)]
    for i in range(0, 60, 7):  # a site in every 7th record, at its very end in some
        at = 0 if i % 2 else records[i].size
        records[i] = np.concatenate([records[i][:at], site, records[i][at:]])
    records[5] = np.concatenate([records[5], site[:10]])  # half a site at the end of record 5 ...
    records[6] = np.concatenate([site[10:], records[6]])  # ... and the rest at the start of record 6
    got = PackedSequences(records).records_with_hits(pw, thr)
    want = []
    for r in records:
        sc = SequenceCodes(r)
        hist = np.zeros(pw.sf.size, dtype=np.int64)
        want.append(scan_windows(pw, sc, r.size, thr, hist)[0].size > 0)
    assert got.tolist() == want and sum(want) >= 9


def _ranks(rows, ids) -> list[int]:
    return [i for i, r in enumerate(rows) if r.motif_id in ids]


def test_real_oct4_peaks_rank_pou_first_and_mafk_peaks_maf_first(oct4_fa: Path, mafk_fa: Path) -> None:
    oct4 = pipeline.enrich(EnrichConfig(targets=str(oct4_fa), background=str(mafk_fa), motifs=PANEL))
    assert len(oct4.rows) == len(PANEL) and oct4.rows[0].motif_id == "MA0142.1"  # Pou5f1::Sox2
    assert _ranks(oct4.rows, POU) == [0, 1, 2, 3, 4]
    top = oct4.rows[0]
    assert top.target_percent > 60 and top.background_percent < 25 and top.fold > 3 and top.qvalue < 1e-100
    # the same counts as `bio scan` (records with a hit, default uniform background, p <= 1e-4)
    hits = scan_genome(oct4_fa, ScanConfig(motifs=("MA0142.1",))).hits
    assert top.target_hits == len(set(hits["record"].tolist())) == 2882
    mafk = pipeline.enrich(EnrichConfig(targets=str(mafk_fa), background=str(oct4_fa), motifs=PANEL))
    assert _ranks(mafk.rows, MAF) == [0, 1, 2, 3]
    assert mafk.rows[0].fold > 5
    # ranks follow p-values; q-values are BH over the 20 motifs (never below p, monotone in p)
    p = [r.pvalue for r in mafk.rows]
    q = [r.qvalue for r in mafk.rows]
    assert p == sorted(p) and q == sorted(q) and all(qi >= pi for pi, qi in zip(p, q, strict=True))


def test_shuffled_background_by_default(oct4_fa: Path) -> None:
    res = pipeline.enrich(EnrichConfig(targets=str(oct4_fa), motifs=("MA0142.1", "MA0496.4", "MA0139.2")))
    assert res.n_background == 2 * res.n_targets and res.shuffles == 2
    assert "dinucleotide shuffles" in res.summary()["background"]["source"]  # type: ignore[index]
    assert res.rows[0].motif_id == "MA0142.1" and res.rows[0].fold > 2 and res.rows[0].pvalue < 1e-50


def test_cli_table_tsv_json_and_errors(oct4_fa: Path, mafk_fa: Path, tmp_path: Path, write_fasta) -> None:
    out = tmp_path / "known.tsv"
    args = ["enrich", str(oct4_fa), "--background", str(mafk_fa), "-m", ",".join(PANEL[:8])]
    res = runner.invoke(app, [*args, "-o", str(out), "--top", "3"])
    assert res.exit_code == 0, res.output
    assert "Pou5f1::Sox2" in res.stdout and "MA0142.1" in res.stdout and "Nfe2l2" not in res.stdout  # top 3
    lines = out.read_text().splitlines()
    assert len(lines) == 9 and lines[0].startswith("rank\tmotif_id\tmotif_name\ttarget_hits")
    assert lines[1].split("\t")[:3] == ["1", "MA0142.1", "Pou5f1::Sox2"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output

    def refuse(constant: str) -> None:
        raise AssertionError(constant)

    doc = json.loads(res.stdout, parse_constant=refuse)
    assert doc["motifs"] == 8 and len(doc["results"]) == 8 and doc["results"][0]["rank"] == 1
    assert doc["background"]["shuffles_per_sequence"] is None and doc["pwm_background"]["kind"] == "uniform"
    few = write_fasta(tmp_path / "few.fa", {f"s{i}": "ACGTACGTTTGCA" * 5 for i in range(9)})
    res = runner.invoke(app, ["enrich", str(few), "-m", "CTCF"])
    assert res.exit_code == 1 and "9 usable sequence(s)" in res.stderr and "at least 10" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["enrich", str(tmp_path / "missing.fa"), "-m", "CTCF"])
    assert res.exit_code == 1 and "missing.fa" in res.stderr
    with pytest.raises(SequenceSetError):
        pipeline.enrich(EnrichConfig(targets=str(oct4_fa), background=str(few), motifs=("CTCF",)))
    with pytest.raises(EnrichConfigError):
        EnrichConfig(targets="x.fa", pvalue=0)


def test_cli_out_dash_prints_the_tsv_alone_on_stdout(
    oct4_fa: Path, mafk_fa: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o -`` means stdout, as for ``bio scan`` (before: a file named ``-`` in the working folder and
    the table on stdout); with ``--json``, which prints there too, it is a usage error."""
    monkeypatch.chdir(tmp_path)
    args = ["enrich", str(oct4_fa), "--background", str(mafk_fa), "-m", ",".join(PANEL[:3])]
    res = runner.invoke(app, [*args, "-o", "-"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("rank\tmotif_id\tmotif_name") and len(lines) == 4  # no table, no summary
    assert lines[1].split("\t")[:2] == ["1", "MA0142.1"]
    assert not (tmp_path / "-").exists()
    res = runner.invoke(app, [*args, "-o", "-", "--json"])
    assert res.exit_code == 2 and "--json" in res.stderr and not res.stdout


def test_same_file_or_sequences_as_background_is_a_warning(oct4_fa: Path, tmp_path: Path, caplog) -> None:
    with caplog.at_level("WARNING", logger="carrousel"):
        res = pipeline.enrich(
            EnrichConfig(targets=str(oct4_fa), background=str(oct4_fa), motifs=("MA0142.1",))
        )
    assert "the targets' file" in caplog.text
    assert res.rows[0].fold == 1.0 and res.rows[0].pvalue > 0.4
    copy = tmp_path / "copy.fa"
    copy.write_bytes(oct4_fa.read_bytes())
    caplog.clear()
    with caplog.at_level("WARNING", logger="carrousel"):
        pipeline.enrich(EnrichConfig(targets=str(oct4_fa), background=str(copy), motifs=("MA0142.1",)))
    assert "3897 of 3897 target sequences are also in the background" in caplog.text


def test_a_background_of_other_lengths_is_refused(
    oct4_fa: Path, mafk_fa: Path, tmp_path: Path, write_fasta
) -> None:
    """Targets cut to 40 bp against whole 200-bp peaks: the longer background holds hits more often whatever
    the motif (26-bp CRP sites against 200-bp windows had their best q-value go from 3e-05 to 0.24), so the
    run is one error naming both lengths and the fix; the same targets against 40-bp cuts still run."""
    from carrousel.bio.fasta import read_sequences

    _, pos = read_sequences(oct4_fa)
    _, neg = read_sequences(mafk_fa)
    short = write_fasta(tmp_path / "t.fa", {f"t{i}": s[80:120] for i, s in enumerate(pos[:60])})
    cut = write_fasta(tmp_path / "b40.fa", {f"b{i}": s[80:120] for i, s in enumerate(neg[:60])})
    res = runner.invoke(app, ["enrich", str(short), "--background", str(mafk_fa), "-m", "MA0139.2"])
    assert res.exit_code == 1, res.output
    line = res.stderr.strip()
    assert line.startswith("error: the targets hold 40 bases (median, N excluded) and the background 200")
    assert "same length" in line and "\n" not in line and "Traceback" not in res.output
    res = runner.invoke(app, ["enrich", str(short), "--background", str(cut), "-m", "CTCF", "--json"])
    assert res.exit_code == 0, res.output


def test_motifs_longer_than_every_target_are_a_warning(tmp_path: Path, write_fasta, lcg_dna, caplog) -> None:
    """Targets of 8 bp cannot hold a 15-bp CTCF site: its '0 hits, p = 1' row is no 'not enriched', so one
    warning names it (before: the table alone, without a word); a 6-bp motif they can hold is not named."""
    short = write_fasta(tmp_path / "short.fa", {f"s{i}": lcg_dna(8, i) for i in range(12)})
    six = tmp_path / "six.jaspar"
    six.write_text(">six six\nA [ 9 0 0 9 0 0 ]\nC [ 0 9 0 0 9 0 ]\nG [ 0 0 9 0 0 9 ]\nT [ 0 0 0 0 0 0 ]\n")
    with caplog.at_level("WARNING", logger="carrousel"):
        res = pipeline.enrich(EnrichConfig(targets=str(short), motifs=("MA0139.2", str(six)), pvalue=1e-3))
    assert {r.motif_id: r.target_hits for r in res.rows}["MA0139.2"] == 0
    longer = [r.getMessage() for r in caplog.records if "longer than every target" in r.getMessage()]
    assert len(longer) == 1, caplog.text
    assert (
        "1 of 2 motifs" in longer[0] and "CTCF MA0139.2 (15 bp)" in longer[0] and "longest 8 bp" in longer[0]
    )


@pytest.mark.parametrize("kind", ["uniform", "input"])
def test_json_gives_the_pwm_background_order(tmp_path: Path, write_fasta, lcg_dna, kind: str) -> None:  # type: ignore[no-untyped-def]
    """``bio enrich --json`` gave the PWM background's kind and probabilities, not its Markov order (scan's
    JSON has ``background_order``) nor what the probabilities were counted on: now ``order`` (0: enrich's
    background is base frequencies) and ``source``."""
    fa = write_fasta(tmp_path / "t.fa", {f"s{i}": lcg_dna(120, i + 1) for i in range(12)})
    res = runner.invoke(app, ["enrich", str(fa), "-m", "CTCF", "--pwm-background", kind, "--json"])
    assert res.exit_code == 0, res.output
    pwm = json.loads(res.stdout)["pwm_background"]
    assert list(pwm) == ["kind", "order", "source", "probabilities"]
    assert (pwm["kind"], pwm["order"]) == (kind, 0)
    assert pwm["source"] == ("uniform" if kind == "uniform" else "the targets and the background, both strands "
                             "(N not counted)")  # fmt: skip
    assert len(pwm["probabilities"]) == 4 and (kind == "input") == (pwm["probabilities"] != [0.25] * 4)


def test_json_gives_the_pwm_background_probabilities_used_at_full_precision(
    tmp_path: Path, write_fasta
) -> None:  # type: ignore[no-untyped-def]
    """``bio enrich --json``'s ``pwm_background.probabilities`` were rounded to 4 decimals (1/3 -> 0.3333), so
    the p-values could not be recomputed from them (scan's ``background`` already gave the full floats)."""
    targets = write_fasta(tmp_path / "t.fa", {f"t{i}": "AAC" * 10 for i in range(12)})
    control = write_fasta(tmp_path / "c.fa", {f"c{i}": "CAA" * 10 for i in range(12)})
    res = runner.invoke(
        app,
        [
            "enrich",
            str(targets),
            "--background",
            str(control),
            "-m",
            "CTCF",
            "--pwm-background",
            "input",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    probabilities = json.loads(res.stdout)["pwm_background"]["probabilities"]
    used = composition([encode("AAC" * 10)] * 12 + [encode("CAA" * 10)] * 12).mono
    assert probabilities == [float(x) for x in used] and probabilities[0] != round(probabilities[0], 4)
