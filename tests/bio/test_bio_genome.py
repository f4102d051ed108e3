"""Genome access by position (``carrousel.bio.genome``): the ``.fai`` index built and reused, windows
equal to slices of the whole sequence, peaks off the genome, read-only folders, gzip and BGZF genomes,
N handling, and training windows that never read a whole record."""

from __future__ import annotations

import gzip
import logging
import os
import tempfile

import numpy as np
import pytest
from typer.testing import CliRunner

import carrousel.bio.genome as genome_mod
from carrousel.bio.bed import merge_intervals, read_peaks
from carrousel.bio.cli import app
from carrousel.bio.data import _peak_windows, gc_matched_windows, genome_windows, peak_windows
from carrousel.bio.errors import FastaFormatError, TrainingDataError
from carrousel.bio.fasta import encode, reverse_complement
from carrousel.bio.genome import Genome

LETTERS = np.array(list("ACGT"))


def _records(seed: int = 0) -> dict[str, str]:
    """Three records with soft-masked stretches, N runs and an IUPAC code; one shorter than a window."""
    rng = np.random.default_rng(seed)
    seqs = {
        name: "".join(LETTERS[rng.integers(0, 4, size)]) for name, size in [("chr1", 3_001), ("chr2", 1_777)]
    }
    s1 = seqs["chr1"]
    seqs["chr1"] = s1[:500] + s1[500:700].lower() + "N" * 150 + s1[850:2000] + "R" + s1[2001:]
    seqs["chrM"] = "ACGTN" * 4  # 20 bases: shorter than any window drawn here
    return seqs


def _reference_windows(seqs: dict[str, np.ndarray], window: int, n: int, rng, exclude=None) -> np.ndarray:
    """The draw of the former whole-record ``genome_windows``, on sequences held whole."""
    named = [(k, v) for k, v in seqs.items() if v.size >= window]
    sizes = np.array([v.size - window + 1 for _, v in named], dtype=np.float64)
    out = []
    while len(out) < n:
        name, codes = named[int(rng.choice(len(named), p=sizes / sizes.sum()))]
        s = int(rng.integers(codes.size - window + 1))
        if exclude is not None and name in exclude:
            starts, ends = exclude[name]
            i = int(np.searchsorted(starts, s + window)) - 1
            if i >= 0 and int(ends[i]) > s:
                continue
        w = codes[s : s + window]
        if (w >= 4).any():
            continue
        out.append(reverse_complement(w) if rng.random() < 0.5 else w)
    return np.stack(out)


def test_index_built_beside_reused_and_windows_equal_slices(tmp_path, write_fasta) -> None:
    seqs = _records()
    codes = {k: encode(v) for k, v in seqs.items()}
    fa = write_fasta(tmp_path / "g.fa", seqs, width=70)
    with Genome.open(fa) as g:
        assert g.indexed and g.index == tmp_path / "g.fa.fai" and g.index.is_file()
        assert g.lengths == {k: len(v) for k, v in seqs.items()}
        rng = np.random.default_rng(0)
        for _ in range(200):  # ranges across line ends, lower case, N runs, the IUPAC R
            name = ["chr1", "chr2", "chrM"][int(rng.integers(3))]
            a = int(rng.integers(0, g.lengths[name]))
            b = int(rng.integers(a, g.lengths[name] + 1))
            assert np.array_equal(g.fetch(name, a, b), codes[name][a:b])
        assert g.fetch("chr1", 2000, 2001).tolist() == [4]  # IUPAC R -> N
        assert g.window("chr2", -3, 5).tolist() == [4, 4, 4, *codes["chr2"][:5].tolist()]
        assert g.window("chr2", 1_775, 1_780).tolist() == [*codes["chr2"][1_775:].tolist(), 4, 4, 4]
        with pytest.raises(ValueError, match="not within"):
            g.fetch("chr2", 0, 1_778)
    built = g.index.stat().st_mtime_ns
    exclude = merge_intervals([("chr1", 100, 400), ("chr2", 1_000, 1_200)])
    got = genome_windows(fa, 60, 300, np.random.default_rng(3), exclude)
    want = _reference_windows(codes, 60, 300, np.random.default_rng(3), exclude)
    assert np.array_equal(got, want)  # the same draw as slicing whole records, both strands
    assert not (got >= 4).any()  # never a window with N (the N run, the R)
    assert (tmp_path / "g.fa.fai").stat().st_mtime_ns == built  # reused, not rebuilt


def test_stale_or_foreign_index_is_rebuilt(tmp_path, write_fasta) -> None:
    long = write_fasta(tmp_path / "long.fa", {"chr1": "ACGT" * 500})
    with Genome.open(long):
        pass
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 50})
    (tmp_path / "g.fa.fai").write_bytes((tmp_path / "long.fa.fai").read_bytes())  # newer, of another file
    with Genome.open(fa) as g:
        assert g.lengths == {"chr1": 200}
    fa.write_text(">chr1\nGGGG\n>chr9\nTTTTTT\n")  # the FASTA changes after its index was built
    os.utime(fa, ns=(fa.stat().st_atime_ns, (tmp_path / "g.fa.fai").stat().st_mtime_ns + 10**9))
    with Genome.open(fa) as g:
        assert g.lengths == {"chr1": 4, "chr9": 6} and g.fetch("chr9", 0, 6).tolist() == [3] * 6


def test_peak_windows_from_the_index_and_peaks_off_the_genome(tmp_path, write_fasta, caplog) -> None:
    seqs = _records()
    fa = write_fasta(tmp_path / "g.fa", seqs)
    bed = tmp_path / "p.bed"
    bed.write_text(
        "chr1\t100\t300\tp\t0\t.\t0\t0\t0\t50\n"  # summit 150
        "chr2\t1700\t1777\n"  # runs off the end: N padded
        "chrX\t0\t100\n"  # no such record
        "chr2\t5000\t5100\n"  # past chr2's end
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        w = peak_windows(bed, fa, 100)
    c1, c2 = encode(seqs["chr1"]), encode(seqs["chr2"])
    assert w.shape == (2, 100)
    assert np.array_equal(w[0], c1[100:200])
    assert np.array_equal(w[1], np.r_[c2[1688:], np.full(11, 4)])  # centre 1738
    assert (
        "1 of 4 peaks lie on records not in" in caplog.text
        and "centred (summit, else midpoint) past their chromosome's end" in caplog.text
    )
    only_off = tmp_path / "off.bed"
    only_off.write_text("chr2\t5000\t5100\n")
    with pytest.raises(
        TrainingDataError,
        match=r"line 1: peak chr2:5000-5100 is centred at 5050 \(summit, else midpoint\), past the end of chr2 \(1,777",
    ):
        peak_windows(only_off, fa, 100)


def test_a_peak_starting_inside_but_centred_past_the_end_is_named_by_its_centre(
    tmp_path, write_fasta, caplog
) -> None:
    """A peak that starts inside its chromosome but whose centre (summit, else midpoint) lies past its end
    is skipped, as no window can be centred on it; the warning said it 'lies past' the end, which its start
    does not: it now names the centre, the count and the fix."""
    seqs = _records()
    fa = write_fasta(tmp_path / "g.fa", seqs)
    bed = tmp_path / "p.bed"
    bed.write_text("chr1\t100\t300\nchr2\t1700\t1900\nchr2\t1700\t1800\tp\t0\t.\t0\t0\t0\t90\n")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        w = peak_windows(bed, fa, 100)
    assert w.shape == (1, 100)
    notes = [r.getMessage() for r in caplog.records]
    assert notes == [
        "2 of 3 peaks are centred (summit, else midpoint) past their chromosome's end, where no window can be "
        f"centred (first: {bed}, line 2, chr2:1700-1900 centred at 1800, chr2 is 1,777 bases); skipped: use the "
        "genome the peaks were called on (a peak centred inside is kept, clipped at the end)"
    ]


def test_peaks_in_the_other_naming_are_read_in_the_genomes(tmp_path, write_fasta, caplog) -> None:
    seqs = _records()  # UCSC names: chr1, chr2, chrM
    fa = write_fasta(tmp_path / "g.fa", seqs)
    ensembl = tmp_path / "ensembl.bed"
    ensembl.write_text("1\t100\t300\tp\t0\t.\t0\t0\t0\t50\n2\t1700\t1777\nMT\t0\t100\nGL000220.1\t0\t9\n")
    ucsc = tmp_path / "ucsc.bed"
    ucsc.write_text("chr1\t100\t300\tp\t0\t.\t0\t0\t0\t50\nchr2\t1700\t1777\n")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = peak_windows(ensembl, fa, 100)
    assert np.array_equal(got, peak_windows(ucsc, fa, 100))  # the very windows of the genome's own naming
    said = "names them the other way (UCSC chr1 / Ensembl 1): read 1 as chr1, 2 as chr2, MT as chrM"
    assert (
        said in caplog.text and "line 3, chrM:0-100 centred at 50, chrM is 20 bases); skipped" in caplog.text
    )  # chrM: too short
    assert "1 of 4 peaks lie on records not in" in caplog.text  # a contig of neither naming: skipped
    renamed = {"1": seqs["chr1"], "2": seqs["chr2"]}  # and the other way round
    fa2 = write_fasta(tmp_path / "ensembl.fa", renamed)
    assert np.array_equal(peak_windows(ucsc, fa2, 100), got[:2])
    mixed = tmp_path / "mixed.bed"  # one peak on a record of the genome: nothing renamed
    mixed.write_text("chr1\t100\t300\n2\t1700\t1777\n")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert peak_windows(mixed, fa, 100).shape == (1, 100)
    assert "other way" not in caplog.text and "1 of 2 peaks lie on records not in" in caplog.text


def test_read_only_folder_puts_the_index_in_the_cache(tmp_path, write_fasta, monkeypatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    seqs = _records()
    fa = write_fasta(folder / "g.fa", seqs)
    (folder / "g.fa.fai").write_text("chr1\t5\t0\t60\t61\n")  # stale: older than the FASTA
    os.utime(folder / "g.fa.fai", ns=(0, 0))
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes through modes: make the folder refuse files as a read-only one would
        real = genome_mod._writable
        monkeypatch.setattr(genome_mod, "_writable", lambda d: d != folder and real(d))
    monkeypatch.setenv("CARROUSEL_CACHE", str(tmp_path / "cache"))
    try:
        with Genome.open(fa) as g:
            assert g.indexed and g.index is not None and g.index.parent == tmp_path / "cache" / "fai"
            assert np.array_equal(g.fetch("chr2", 10, 90), encode(seqs["chr2"])[10:90])
        assert sorted(p.name for p in folder.iterdir()) == ["g.fa", "g.fa.fai"]  # nothing written there
        assert (folder / "g.fa.fai").read_text() == "chr1\t5\t0\t60\t61\n"
        with Genome.open(fa) as again:  # the cached index is found again
            assert again.index == g.index
        monkeypatch.setenv("CARROUSEL_CACHE", str(folder / "cache"))  # the cache unwritable too: temp folder
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
        if os.geteuid() == 0:
            monkeypatch.setattr(genome_mod, "_writable", lambda d: folder not in (d, *d.parents) and real(d))
        with Genome.open(fa) as g:
            assert g.index is not None and g.index.parent == tmp_path / "tmp" / "carrousel-fai"
    finally:
        folder.chmod(0o755)


def test_plain_gzip_genome_read_whole_when_small_else_one_line_error(tmp_path, write_fasta, caplog) -> None:
    seqs = _records()
    plain = write_fasta(tmp_path / "g.fa", seqs)
    gz = tmp_path / "g.fa.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    with caplog.at_level(logging.INFO, logger="carrousel.bio.genome"), Genome.open(gz) as g:
        assert not g.indexed and g.lengths == {k: len(v) for k, v in seqs.items()}
        assert np.array_equal(g.fetch("chr1", 400, 900), encode(seqs["chr1"])[400:900])
    assert (
        "gzip-compressed (not BGZF)" in caplog.text and "read whole into memory (4,798 bases)" in caplog.text
    )
    assert not (tmp_path / "g.fa.gz.fai").exists()
    a = genome_windows(gz, 50, 100, np.random.default_rng(1))
    assert np.array_equal(a, genome_windows(plain, 50, 100, np.random.default_rng(1)))
    with pytest.raises(FastaFormatError) as err:
        Genome.open(gz, max_whole_bases=1_000)
    msg = str(err.value)
    assert "\n" not in msg and "not BGZF" in msg and "over 1,000 bases" in msg
    assert "`gunzip`" in msg and "`bgzip`" in msg


def test_large_plain_gzip_genome_fails_bio_train_in_one_line(tmp_path, write_fasta, monkeypatch) -> None:
    gz = tmp_path / "big.fa.gz"
    gz.write_bytes(gzip.compress(write_fasta(tmp_path / "g.fa", _records()).read_bytes()))
    bed = tmp_path / "p.bed"
    bed.write_text("".join(f"chr1\t{i}\t{i + 100}\n" for i in range(0, 2_500, 100)))
    monkeypatch.setattr(genome_mod, "MAX_WHOLE_BASES", 1_000)
    res = CliRunner().invoke(
        app, ["train", "--peaks", str(bed), "--genome", str(gz), "-o", str(tmp_path / "m")]
    )
    assert res.exit_code == 1
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "big.fa.gz" in lines[0] and "bgzip" in lines[0], res.output
    assert not (tmp_path / "m").exists()


def test_bgzf_genome_is_read_by_position(tmp_path, write_fasta) -> None:
    from Bio import bgzf

    seqs = {
        "chr1": "".join(LETTERS[np.random.default_rng(4).integers(0, 4, 200_000)]),
        "chr2": "ACGTTGCA" * 30,
    }
    text = write_fasta(tmp_path / "g.fa", seqs).read_bytes()
    bgz = tmp_path / "g.fa.gz"
    with bgzf.BgzfWriter(str(bgz), "wb") as fh:  # several 64 kB blocks
        fh.write(text)
    with Genome.open(bgz) as g:
        assert g.indexed and (tmp_path / "g.fa.gz.fai").is_file() and (tmp_path / "g.fa.gz.gzi").is_file()
        c1 = encode(seqs["chr1"])
        for a in (0, 65_000, 131_000, 199_800):  # across block boundaries
            assert np.array_equal(g.fetch("chr1", a, a + 200), c1[a : a + 200])
        assert np.array_equal(g.fetch("chr2", 0, 240), encode(seqs["chr2"]))


def test_uneven_lines_read_whole_when_small_else_refused(tmp_path) -> None:
    fa = tmp_path / "uneven.fa"
    fa.write_text(">chr1\nACGTACGT\nAC\nACGTACGTACGT\n>chr2\nGGGG\n")
    with Genome.open(fa) as g:
        assert not g.indexed and g.lengths == {"chr1": 22, "chr2": 4}
        assert g.fetch("chr1", 6, 12).tolist() == encode("GTACAC").tolist()
    with pytest.raises(FastaFormatError, match=r"cannot be indexed .*one line width"):
        Genome.open(fa, max_whole_bases=10)


def test_bad_genomes_are_one_line_errors(tmp_path) -> None:
    dup = tmp_path / "dup.fa"
    dup.write_text(">chr1\nACGT\n>chr1\nACGT\n")
    with pytest.raises(FastaFormatError, match="duplicate record name"):
        Genome.open(dup)
    bad = tmp_path / "bad.fa"
    bad.write_text(">chr1\n" + "ACGT" * 30 + "\n" + "ACGTACGTXC" * 12 + "\n")
    with (
        Genome.open(bad) as g,
        pytest.raises(FastaFormatError, match=r"'chr1', position 129: invalid character 'X'"),
    ):
        g.fetch("chr1", 100, 140)
    with pytest.raises(FastaFormatError, match="not found"):
        Genome.open(tmp_path / "missing.fa")


def test_training_windows_never_read_a_whole_record(tmp_path, write_fasta, monkeypatch) -> None:
    """On an indexable genome, peak and GC-matched windows come from the index alone (the streaming reader,
    which reads every record whole, is never called)."""
    seqs = {f"chr{i}": "".join(LETTERS[np.random.default_rng(i).integers(0, 4, 20_000)]) for i in range(3)}
    fa = write_fasta(tmp_path / "g.fa", seqs)
    bed = tmp_path / "p.bed"
    bed.write_text("".join(f"chr{i % 3}\t{1000 * i}\t{1000 * i + 300}\n" for i in range(1, 19)))

    def refuse(*args, **kwargs):
        raise AssertionError("a whole-genome read")

    monkeypatch.setattr(genome_mod, "iter_chunks", refuse)
    pos, notes, kept = _peak_windows(read_peaks(bed), bed, fa, 200)
    assert pos.shape == (18, 200) and not notes
    for p, w in zip(kept, pos, strict=True):
        c = p.start + 150
        assert np.array_equal(w, encode(seqs[p.chrom])[c - 100 : c + 100])
    exclude = merge_intervals([(p.chrom, p.start, p.end) for p in kept])
    neg = gc_matched_windows(fa, pos, 2, np.random.default_rng(0), exclude)
    gc = ((neg == 1) | (neg == 2)).mean(axis=1)
    assert neg.shape == (36, 200) and abs(gc.mean() - ((pos == 1) | (pos == 2)).mean()) < 0.01
