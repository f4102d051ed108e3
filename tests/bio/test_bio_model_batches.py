"""Model scans of many short records: windows of consecutive records share the model's batches (one
model pass per record made a FASTA of 5,000 short contigs ~6x slower per base than one long record), and
the hits are those of scoring every record alone."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.bio import model_scan, pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import decode, iter_records
from carrousel.bio.model_windows import WindowQueue
from carrousel.bio.pipeline import default_model_path, load_model

SITES = ("TGGCCACCAGGGGGCGCTA", "TTCAGCACCATGGACAGCGCC")  # strong CTCF and REST sites


@pytest.fixture(scope="module")
def panel():
    if not (default_model_path() / "model.safetensors").is_file():
        pytest.skip("packaged panel model not built")
    return load_model(default_model_path())


def _records(lambda_fa) -> dict[str, str]:
    """Records of real lambda background shorter than, equal to and longer than the panel's 200-bp window
    (one long enough to fill the queue alone), some holding a planted site."""
    (_, codes), *_ = list(iter_records(lambda_fa))
    lengths = [120, 150, 200, 200, 201, 260, 450, 900, 1700, 2600] * 3 + [6500]
    out, at = {}, 0
    for i, n in enumerate(lengths):
        seq = decode(codes[at : at + n])
        at += n
        if i % 3 == 0:
            site = SITES[i % 2]
            pos = (7 * i) % max(n - len(site), 1)
            seq = seq[:pos] + site + seq[pos + len(site) :]
        out[f"r{i}"] = seq[:n]
    return out


def _scan(fa, cfg, monkeypatch, fill: int | None) -> tuple[object, list[int]]:
    """The scan's hits and the windows of each model call (``fill=1``: every chunk scored alone)."""
    calls: list[int] = []
    real = model_scan.predict_logits

    def counted(model, codes, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(int(codes.shape[0]))
        return real(model, codes, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(model_scan, "predict_logits", counted)
        if fill is not None:
            m.setattr(model_scan, "WindowQueue", lambda _fill: WindowQueue(fill))
        res = pipeline.scan(cfg, fa)
    return res, calls


@pytest.mark.parametrize("chunk_size", [1000, 1 << 21])
def test_short_records_share_model_batches_and_hits_are_unchanged(
    panel, lambda_fa, tmp_path, write_fasta, monkeypatch, chunk_size
) -> None:
    fa = write_fasta(tmp_path / "contigs.fa", _records(lambda_fa))
    # small batches so the file makes several passes; calibration on the model's stored null: the test
    # is the windows' scoring, not the null
    cfg = ScanConfig(method="model", batch_size=8, chunk_size=chunk_size, calibration="model")
    batched, calls = _scan(fa, cfg, monkeypatch, None)
    alone, calls_alone = _scan(fa, cfg, monkeypatch, 1)
    windows = batched.model_stages["tests"] // len(panel.motifs)
    fill = 8 * (8 // 2)
    assert sum(calls) == sum(calls_alone) == windows
    assert len(calls_alone) >= 31  # one model pass per chunk
    assert len(calls) <= windows // fill + 3, calls  # full passes across records (+ the long record alone)
    assert batched.model_stages == alone.model_stages
    a, b = batched.hits, alone.hits
    assert len(a) > 0
    for col in ("record", "start", "end", "strand", "motif_id", "sequence"):
        assert list(a[col]) == list(b[col]), col
    for col in ("pwm_score", "pvalue", "qvalue", "model_score", "model_pvalue"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-5, atol=1e-7, err_msg=col)
    planted = {r for r, s in zip(a["record"], a["sequence"], strict=True) if any(s in x for x in SITES)}
    assert len(planted) >= 5  # planted sites found in short, window-long and long records


def test_window_queue_bounds_what_it_holds() -> None:
    """Chunks are held until they fill a pass (windows or bases); a chunk filling a pass alone is passed
    on alone, after what was queued, so a long record runs in the same batches as without a queue."""
    from carrousel.bio.fasta import Chunk
    from carrousel.bio.model_windows import ChunkWindows

    def item(n_windows: int, bases: int = 300) -> ChunkWindows:
        chunk = Chunk("r", 0, np.zeros(bases, dtype=np.uint8), True)
        return ChunkWindows(chunk, np.arange(n_windows), np.zeros((n_windows, 200), dtype=np.uint8))

    q = WindowQueue(10, max_bases=1000)
    assert q.add(item(4)) == [] and q.add(item(4)) == []
    (due,) = q.add(item(3))
    assert [x.starts.size for x in due] == [4, 4, 3]
    small, big = item(2), item(12)
    assert q.add(small) == []
    assert q.add(big) == [[small], [big]]
    assert q.add(item(1, bases=600)) == [] and len(q.add(item(1, bases=600))) == 1  # 1,200 bases held
    assert q.drain() == []
