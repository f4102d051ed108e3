"""Scans with many hits hold them packed (a few bytes each, spilled to a temporary file past a threshold)
and write them a table at a time: the same bytes as the whole table held in memory, in far less memory."""

from __future__ import annotations

import gzip
import json
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from carrousel.bio import hit_store, pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.hits import Hits
from carrousel.bio.motifs import Motif, write_meme

MOTIFS = ("MA0139.2", "SP1", "GATA1", "SOX2", "REST")


def _genome(path: Path, n: int, seed: int = 5) -> tuple[Path, tuple[str, ...]]:
    """A genome and motif specs: chrA, first in the file, is too short for the first (30-bp) motif, so
    its hits come after chrB's (records go in order of first appearance, motif by motif)."""
    rng = np.random.default_rng(seed)
    records = {"chrA": "A" * 24, "chrB": n, "chrC": n // 3}
    with open(path, "w") as fh:
        for name, seq in records.items():
            text = seq if isinstance(seq, str) else "".join(rng.choice(list("ACGT"), seq))
            fh.write(f">{name}\n{text}\n")
    poly_a = np.tile([[9.0, 1, 1, 1]], (6, 1))
    long = Motif("LONG1.1", "long", rng.integers(1, 30, size=(30, 4)).astype(float))
    meme = path.with_suffix(".meme")
    meme.write_text(write_meme([long, Motif("POLYA.1", "polyA", poly_a)]))
    return path, (str(meme), *MOTIFS)


def _outputs(tmp: Path, genome: Path, cfg: ScanConfig) -> dict[str, bytes]:
    out = {}
    for name in ("h.bed", "h.gff3", "h.tsv", "h.json", "h.tsv.gz"):
        result = pipeline.scan(cfg, genome, out=tmp / name)
        blob = (tmp / name).read_bytes()
        if name == "h.json":  # the timing figures differ between runs
            doc = json.loads(blob)
            assert doc["hits"] == len(doc["hit_rows"]) == len(result.hits)
            doc.pop("seconds"), doc.pop("bases_per_second")
            blob = json.dumps(doc).encode()
        out[name] = gzip.decompress(blob) if name.endswith(".gz") else blob
        out[name + ".raw"] = blob
    return out


def _old_order(hits: Hits, motif_order: list[str], record_order: list[str]) -> Hits:
    """The order the scan had when it held every hit: motif by motif (forward then reverse hits by
    start), concatenated, then :meth:`Hits.sorted` (records by first appearance, start, strand, motif)."""
    k = np.array([motif_order.index(m) for m in hits["motif_id"].tolist()])
    rec = np.array([record_order.index(r) for r in hits["record"].tolist()])
    return hits.take(np.lexsort((hits["start"], hits["strand"] == "-", rec, k))).sorted()


@pytest.mark.parametrize("qvalue", [None, 0.9])
def test_spilled_hits_give_the_same_bytes_as_hits_held_in_memory(tmp_path, monkeypatch, qvalue) -> None:
    genome, motifs = _genome(tmp_path / "g.fa", 30_000)
    cfg = ScanConfig(motifs=motifs, pvalue=1e-2, qvalue=qvalue, chunk_size=4000)
    monkeypatch.setattr(hit_store, "SPILL_BYTES", 1 << 40)
    held = _outputs(tmp_path, genome, cfg)
    monkeypatch.setattr(hit_store, "SPILL_BYTES", 0)  # every chunk's hits go to the file
    monkeypatch.setattr(hit_store, "BLOCK_ROWS", 97)  # and come back 97 at a time
    result = pipeline.scan(cfg, genome)
    assert result.hits.store.spilled > 0 and result.hits.store._held == 0  # type: ignore[attr-defined]
    spilled = _outputs(tmp_path, genome, cfg)
    assert spilled == held
    assert held["h.tsv.gz.raw"] == gzip.compress(held["h.tsv.gz"], mtime=0)  # the bytes gzip.compress gives
    hits = result.hits
    assert len(hits) > 300 and len(hits) == len(hits["start"])
    want = _old_order(hits, [m for m, _ in result.motifs], ["chrA", "chrB", "chrC"])
    for col in hits.cols:
        assert np.array_equal(hits[col], want[col], equal_nan=hits[col].dtype == np.float64), col
    assert hits["record"][0] == "chrB" and "chrA" in set(hits["record"].tolist())
    assert result.motifs[0][0] == "LONG1.1" and "chrA" not in set(
        hits["record"][hits["motif_id"] == "LONG1.1"]
    )


def _peak(cfg: ScanConfig, genome: Path, out: Path) -> tuple[int, int]:
    """Hits found, and the peak of Python's memory (numpy arrays included) while scanning and writing."""
    tracemalloc.start()
    try:
        result = pipeline.scan(cfg, genome, out=out)
        return len(result.hits), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_scan_and_write_hold_a_few_bytes_per_hit(tmp_path, monkeypatch) -> None:
    """The memory a scan that writes its hits needs grows by less than 300 bytes a hit (once about 1.2 kB:
    every hit's sequence string and a row of objects held to the end, then its rendered line and the whole
    text); the temporary hit file is gone afterwards."""
    (tmp_path / "spill").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spill"))
    monkeypatch.setattr(hit_store, "SPILL_BYTES", 1 << 20)
    monkeypatch.setattr(hit_store, "BLOCK_ROWS", 2000)
    small, motifs = _genome(tmp_path / "small.fa", 20_000)
    large, _ = _genome(tmp_path / "large.fa", 200_000)
    cfg = ScanConfig(motifs=motifs, pvalue=1e-2, chunk_size=50_000)
    pipeline.scan(cfg, small, out=tmp_path / "warm.bed")  # motif tables, imports: not the hits
    n_small, peak_small = _peak(cfg, small, tmp_path / "small.tsv")
    n_large, peak_large = _peak(cfg, large, tmp_path / "large.tsv")
    assert n_large - n_small > 25_000
    per_hit = (peak_large - peak_small) / (n_large - n_small)
    assert per_hit < 300, f"{per_hit:.0f} bytes per hit"
    assert not any((tmp_path / "spill").iterdir()) and not list(tmp_path.glob(".*.tmp"))


def test_model_hits_merge_into_spilled_pwm_hits_in_place(tmp_path, monkeypatch, lambda_fa) -> None:
    """``--method both``: the model's hits go between the spilled PWM hits exactly where the whole table
    sorted at once put them, over records and chunks."""
    from test_bio_scan import plant_sites

    from carrousel.bio.fasta import decode
    from carrousel.bio.pipeline import default_model_path, load_model

    if not (default_model_path() / "model.safetensors").is_file():
        pytest.skip("packaged panel model not built")
    by_id = {m.id: m for m in load_model(default_model_path()).motifs}
    motifs = [by_id[i] for i in ("MA0139.2", "MA0138.3", "MA0106.3")]
    name, codes, _ = plant_sites(lambda_fa, motifs, 10, np.random.default_rng(3), 1e-6)
    seq = decode(codes)
    genome = tmp_path / "planted.fa"
    genome.write_text(f">{name}\n{seq}\n>second\n{seq[:20000]}\n")
    cfg = ScanConfig(method="both", pvalue=1e-3, chunk_size=5000, model_qvalue=0.05)
    monkeypatch.setattr(hit_store, "SPILL_BYTES", 1 << 40)
    held = pipeline.scan(cfg, genome, out=tmp_path / "held.tsv")
    monkeypatch.setattr(hit_store, "SPILL_BYTES", 0)
    monkeypatch.setattr(hit_store, "BLOCK_ROWS", 37)
    spilled = pipeline.scan(cfg, genome, out=tmp_path / "spilled.tsv")
    assert (tmp_path / "held.tsv").read_bytes() == (tmp_path / "spilled.tsv").read_bytes()
    assert (held.hits["method"] == "model").sum() > 20 and len(spilled.hits) == len(held.hits)
    table = Hits.concat([h for h in hit_store.hit_blocks(spilled.hits)])
    assert np.array_equal(table["start"], table.sorted()["start"])
