"""GC-matched genome negatives of ``--peaks`` keep off the positives' windows, not only off the peaks. A
summit-only BED (1-base peaks, as peak callers write summits) kept the negatives off the summit alone, so a
negative window could share up to ``window / 2 - 1`` bases with a positive window centred there (the CRP
sample sites located in the E. coli sample as 1-base peaks, seeds 0-2: 0 to 1 of 178 negatives and 7 to 9
of 1,068 background null windows per seed, up to 94 shared bases; none after)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carrousel.bio.config import TrainDataConfig
from carrousel.bio.data import training_set

LETTERS = np.array(list("ACGTN"))
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _shared(genome: str, windows: np.ndarray, starts: np.ndarray, width: int) -> list[int]:
    """Per window (located on either strand): the most bases it shares with a window of ``starts``."""
    out = []
    for w in windows:
        s = "".join(LETTERS[w])
        i = genome.find(s)
        i = i if i >= 0 else genome.find(s.translate(COMPLEMENT)[::-1])
        assert i >= 0
        out.append(int(np.clip(np.minimum(i + width, starts + width) - np.maximum(i, starts), 0, None).max()))
    return out


def test_negatives_of_summit_only_peaks_share_no_base_with_a_positive_window(tmp_path: Path) -> None:
    g = "".join(np.random.default_rng(0).choice(list("ACGT"), 40_000))
    (tmp_path / "g.fa").write_text(f">chr1\n{g}\n")
    summits = np.arange(1, 31) * 1000
    (tmp_path / "p.bed").write_text("".join(f"chr1\t{c}\t{c + 1}\n" for c in summits))
    cfg = TrainDataConfig(peaks=str(tmp_path / "p.bed"), genome=str(tmp_path / "g.fa"))
    ts = training_set(cfg, [])
    width = cfg.window
    starts = summits - width // 2  # a 1-base peak's window is centred on it
    neg = ts.x[ts.y[:, 0] == 0]
    assert ts.background is not None and neg.shape[0] == 30 and ts.background.shape[0] >= 300
    shared = _shared(g, neg, starts, width) + _shared(g, ts.background, starts, width)
    assert max(shared) == 0, sorted(shared)[-10:]  # before: about 30% of them, up to 99 bases
