"""Genome scans: planted sites in real genomes are found at the right place and strand (PWM method),
chunking does not change results, outputs are well-formed (memelite cross-check: benchmarks/bench_bio.py)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import decode, iter_records
from carrousel.bio.formats import to_bed, to_gff3, to_json, to_tsv
from carrousel.bio.motifs import Motif, resolve_motifs
from carrousel.bio.pwm import IntegerPWM
from carrousel.bio.scan import scan_genome
from carrousel.bio.synth import plant, sample_instance


def plant_sites(genome, motifs, n_per, rng, min_p=1e-6):
    """Plants strong instances of each motif at random, non-overlapping positions of a real genome."""
    (name, codes), *_ = list(iter_records(genome))
    codes = codes.copy()
    truth = []
    slots = rng.choice(np.arange(100, codes.size - 100, 250), size=n_per * len(motifs), replace=False)
    pwms = {m.id: IntegerPWM(m) for m in motifs}
    for i, pos in enumerate(slots):
        m = motifs[i % len(motifs)]
        for _ in range(200):  # a strong instance (bounded tries; short motifs cannot reach tiny p)
            site = sample_instance(m, rng, 3.0)
            if pwms[m.id].pvalue(pwms[m.id].matrix[np.arange(m.length), site].sum()[None])[0] < min_p:
                break
        strand = 1 if rng.random() < 0.5 else -1
        plant(codes, site, int(pos), strand)
        truth.append((m.id, int(pos), "+" if strand == 1 else "-"))
    return name, codes, truth


def recall_fdr(hits, truth, ids):
    """Recall needs motif, start and strand; a reported hit is a false discovery unless it sits on a
    planted site of its motif (either strand: palindromic motifs such as TP53 match both)."""
    found = {(m, s, st) for m, s, st in zip(hits["motif_id"], hits["start"], hits["strand"], strict=True)}
    recall = len(set(truth) & found) / len(truth)
    planted = {(m, s) for m, s, _ in truth}
    reported = [(m, s) for m, s, _ in found if m in ids]
    false = sum(1 for h in reported if h not in planted)
    return recall, false / max(len(reported), 1)


# Genome-wide BH over ~1e7 tests (E. coli) needs p below ~1e-7 for q <= 0.01: planted sites there are
# drawn stronger than in lambda (1e5 tests).
@pytest.mark.parametrize("genome_fixture,n_per,min_p", [("lambda_fa", 25, 1e-6), ("ecoli_fa", 30, 1e-8)])
def test_planted_sites_found_pwm(request, tmp_path, rng, genome_fixture, n_per, min_p) -> None:
    genome = request.getfixturevalue(genome_fixture)
    motifs = resolve_motifs(["CTCF", "REST", "TP53"] if genome_fixture == "lambda_fa" else ["CTCF", "ESR1"])
    name, codes, truth = plant_sites(genome, motifs, n_per, rng, min_p)
    fa = tmp_path / "planted.fa.gz"
    fa.write_bytes(gzip.compress(f">{name}\n{decode(codes)}\n".encode(), compresslevel=1))
    res = scan_genome(fa, ScanConfig(motifs=tuple(m.id for m in motifs), qvalue=0.01))
    recall, fdr = recall_fdr(res.hits, truth, {m.id for m in motifs})
    assert recall >= 0.95, recall
    assert fdr <= 0.05, fdr
    assert res.bases == codes.size


def test_chunking_does_not_change_hits(tmp_path, lambda_fa) -> None:
    cfg = ScanConfig(motifs=("MA0139.2", "MA0106.3"), pvalue=1e-3)
    a = scan_genome(lambda_fa, cfg)
    b = scan_genome(lambda_fa, ScanConfig(motifs=cfg.motifs, pvalue=1e-3, chunk_size=1000))
    assert len(a.hits) > 50
    for col in ("start", "strand", "motif_id", "pvalue", "qvalue", "sequence"):
        assert a.hits[col].tolist() == b.hits[col].tolist()
    assert a.tests == b.tests


def test_n_windows_never_scored_and_sequence_on_strand(tmp_path, write_fasta) -> None:
    ctcf = resolve_motifs("MA0139.2")[0]
    site = ctcf.consensus()
    rc = site[::-1].translate(str.maketrans("ACGT", "TGCA"))
    seq = "A" * 30 + site + "T" * 30 + rc + "G" * 20 + site[:7] + "N" + site[8:] + "C" * 10
    fa = write_fasta(tmp_path / "t.fa", {"s": seq})
    res = scan_genome(fa, ScanConfig(motifs=("MA0139.2",), background="uniform"))
    rows = {(r["start"], r["strand"]): r for r in res.hits.rows()}
    assert (30, "+") in rows and (30 + len(site) + 30, "-") in rows
    assert rows[(30, "+")]["sequence"] == site and rows[(75, "-")]["sequence"] == site
    n_pos = seq.index("N")
    assert all(not (r["start"] <= n_pos < r["end"]) for r in rows.values())


def test_output_formats(tmp_path, write_fasta) -> None:
    site = resolve_motifs("MA0139.2")[0].consensus()
    fa = write_fasta(tmp_path / "t.fa", {"chr1": "ACGTTGCA" * 10 + site + "ACGT" * 10})
    res = scan_genome(fa, ScanConfig(motifs=("CTCF",), background="uniform"))
    bed = to_bed(res.hits).splitlines()
    f = bed[0].split("\t")
    assert len(f) == 6 and f[0] == "chr1" and int(f[1]) == 80 and int(f[2]) == 80 + len(site)
    assert f[3] == "CTCF_MA0139.2" and 0 <= int(f[4]) <= 1000 and f[5] == "+"
    gff = to_gff3(res.hits, res).splitlines()
    assert gff[0] == "##gff-version 3" and gff[1].startswith("##sequence-region chr1 1 ")
    assert gff[2] == "# score column: PWM log-odds score of the site (bits)"
    g = gff[3].split("\t")
    assert g[2] == "TF_binding_site" and int(g[3]) == 81 and "pvalue=" in g[8] and "qvalue=" in g[8]
    attrs = dict(a.split("=") for a in g[8].split(";"))
    assert float(g[5]) == pytest.approx(float(attrs["pwm_score"])) and "model_score" not in attrs
    tsv = to_tsv(res.hits).splitlines()
    assert tsv[0].split("\t")[:9] == [
        "motif_id",
        "motif_alt_id",
        "sequence_name",
        "start",
        "stop",
        "strand",
        "pwm_score",
        "p-value",
        "q-value",
    ]
    summary = json.loads(to_json(res))
    assert summary["records"] == 1 and summary["bases"] == 80 + len(site) + 40
    assert summary["hits_per_motif"]["MA0139.2"]["hits"] == len(bed)


def test_first_order_background_and_both_methods(tmp_path, lambda_fa) -> None:
    (name, codes), *_ = list(iter_records(lambda_fa))
    site = resolve_motifs("MA0139.2")[0].consensus()
    seq = decode(codes[:5000]) + site + decode(codes[5000:10000])
    fa = tmp_path / "g.fa"
    fa.write_text(f">{name}\n{seq}\n")
    res = scan_genome(fa, ScanConfig(motifs=("MA0139.2",), background="input", background_order=1))
    rows = [r for r in res.hits.rows() if r["start"] == 5000 and r["strand"] == "+"]
    assert rows and rows[0]["pvalue"] < 1e-6 and rows[0]["sequence"] == site
    # the 1st-order scores of the scan equal the integer PWM's direct evaluation (same p-value table)
    pw = IntegerPWM(resolve_motifs("MA0139.2")[0], res_background(fa))
    assert rows[0]["pvalue"] == pytest.approx(
        pw.pvalue(np.array([round(rows[0]["pwm_score"] * pw.scale)]))[0]
    )
    assert rows[0]["score"] == rows[0]["pwm_score"]  # a PWM row's own score is its PWM score


def res_background(fa):
    from carrousel.bio.scan import estimate_background

    return estimate_background(fa, order=1)[0]


def _oracle_scan(codes: np.ndarray, pw: IntegerPWM, threshold: int, chunk_start: int = 0):
    """Plain NumPy reference: every window scored by direct summation of the integer matrix (plus the
    1st-order background term written out), N windows dropped, both strands."""
    L = pw.length
    n_win = codes.size - L + 1
    win = codes[np.arange(n_win)[:, None] + np.arange(L)[None, :]]
    valid = (win < 4).all(axis=1)
    x = np.where(win < 4, win, 0)
    hist = np.zeros(pw.sf.size, dtype=np.int64)
    hits = []
    for minus, w in ((False, x), (True, (3 - x)[:, ::-1])):
        s = pw.matrix[np.arange(L)[None, :], w].sum(axis=1)
        if pw.pair is not None:
            s = s + pw.first[w[:, 0]] + pw.pair[w[:, :-1], w[:, 1:]].sum(axis=1)
        hist += np.bincount(s[valid] - pw.lo, minlength=pw.sf.size)
        keep = np.flatnonzero(valid & (s >= threshold))
        hits += [(int(i) + chunk_start, "-" if minus else "+", int(s[i])) for i in keep]
    return hist, sorted(hits)


@pytest.mark.parametrize(("order", "exact_q"), [(0, True), (0, False), (1, False)])
def test_compiled_scan_equals_direct_summation(tmp_path, lambda_fa, write_fasta, order, exact_q) -> None:
    """The compiled both-strand scans (packed tables, tiles, early abandoning, N skipping, chunk overlaps)
    give exactly the oracle's hits, scores, p-values and number of tests, and the histogram of every
    score (exact q-values; a 1st-order background always) or of the hits' scores, for 1-6 block motifs."""
    from carrousel.bio.fasta import iter_chunks
    from carrousel.bio.pwm_null import Background
    from carrousel.bio.scan import PWMScanner

    (name, codes), *_ = list(iter_records(lambda_fa))
    codes = codes[:12000].copy()
    codes[[500, 501, 4000, 9999]] = 4  # N / IUPAC windows are never scored
    fa = write_fasta(tmp_path / "g.fa", {name: decode(codes), "short": "ACGTNAC"})
    rng = np.random.default_rng(1)
    short = Motif("short", "short", rng.integers(0, 30, size=(5, 4)).astype(float))  # one block
    long = Motif("long", "long", rng.integers(0, 30, size=(32, 4)).astype(float))  # six blocks
    motifs = [short, long, *resolve_motifs(["MA0139.2", "SP1", "GATA1", "SOX2", "REST"])]
    bg = Background.from_counts(rng.integers(50, 90, 4), rng.integers(50, 90, (4, 4)), order=order)
    scanner = PWMScanner([IntegerPWM(m, bg) for m in motifs], pvalue=1e-2, threads=2, exact_qvalues=exact_q)
    overlap = scanner.max_length - 1
    for chunk in iter_chunks(fa, 3001, overlap):
        scanner.process(chunk, chunk.codes.size if chunk.last else chunk.codes.size - overlap)
    hits = scanner.hits()
    for k, (pw, thr) in enumerate(zip(scanner.pwms, scanner.thresholds, strict=True)):
        hist = scanner.histogram(k)
        want_hist, want = _oracle_scan(codes, pw, thr)
        assert scanner.tests()[pw.motif.id] == want_hist.sum()
        if not exact_q and order == 0:
            want_hist[: thr - pw.lo] = 0  # only the hits are counted
        assert np.array_equal(hist, want_hist)
        sel = hits["motif_id"] == pw.motif.id
        got = sorted(
            (int(s), st, round(b * pw.scale))
            for s, st, b in zip(hits["start"][sel], hits["strand"][sel], hits["pwm_score"][sel], strict=True)
        )
        assert len(want) > 20 and got == want
        assert set(hits["record"][sel]) == {name}
        assert np.array_equal(hits["pvalue"][sel], pw.pvalue(np.round(hits["pwm_score"][sel] * pw.scale)))


def test_pipeline_scan_given_no_path_says_it_takes_one(tmp_path, write_fasta) -> None:
    """``pipeline.scan`` given an open file, a list of ``(name, sequence)`` pairs or bytes: one ConfigError
    line naming what it takes, and the open file's path. Before: pathlib's TypeError ("expected str, bytes or
    os.PathLike object, not list") from inside the input checks."""
    import io

    from carrousel.bio import pipeline
    from carrousel.core.errors import ConfigError

    fa = write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 20})
    took = r"^scan takes the genome as the path of a FASTA, FASTA\.gz or \.2bit file \(a str or pathlib\.Path\), "
    write = "; write the sequences to a FASTA file and pass its path$"
    cfg = ScanConfig(motifs=("MA0139.2",))
    with open(fa) as handle, pytest.raises(ConfigError, match=rf"{took}not a TextIOWrapper; pass its path, "):
        pipeline.scan(cfg, handle)  # type: ignore[arg-type]
    for given in ([("a", "ACGT" * 20)], io.StringIO(">a\nACGT\n"), str(fa).encode()):
        with pytest.raises(ConfigError, match=rf"{took}not a {type(given).__name__}{write}"):
            pipeline.scan(cfg, given, out=tmp_path / "hits.bed")  # type: ignore[arg-type]
    assert not (tmp_path / "hits.bed").exists()
    assert pipeline.scan(cfg, fa).hits is not None  # a path still scans
