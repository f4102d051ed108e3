"""``bio train --peaks``: peaks whose windows hold only N are dropped with a warning. Before, that warning
gave a count alone ("3 of 25 sequences ... hold only N"), unlike the other peak warnings, which name the
first BED line: now it names the dropped peaks' lines (a FASTA's: its records)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.config import TrainDataConfig
from carrousel.bio.data import training_set
from carrousel.bio.errors import TrainingDataError
from carrousel.bio.motifs import resolve_motifs


def _genome(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 20_000)) + "N" * 3000 + "".join(rng.choice(list("ACGT"), 20_000))
    path = tmp_path / "g.fa"
    path.write_text(">chr1\n" + "\n".join(seq[i : i + 80] for i in range(0, len(seq), 80)) + "\n")
    return path


def _bed(tmp_path: Path, good: int, in_n: list[int]) -> Path:
    """``good`` peaks on bases and, at the 1-based BED lines ``in_n``, peaks inside the N run."""
    lines, starts = ["track name=t"], iter(range(500, 40_000, 800))
    while len(lines) < good + len(in_n) + 1:
        if len(lines) + 1 in in_n:
            lines.append("chr1\t21400\t21600")
        else:
            a = next(starts)
            a += 3000 if a >= 19_000 else 0
            lines.append(f"chr1\t{a}\t{a + 200}")
    path = tmp_path / "peaks.bed"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_only_n_peaks_warning_names_their_bed_lines(tmp_path: Path, caplog) -> None:
    cfg = TrainDataConfig(peaks=str(_bed(tmp_path, 24, [4, 9])), genome=str(_genome(tmp_path)), window=100)
    with caplog.at_level(logging.WARNING, logger="carrousel.bio.data"):
        ts = training_set(cfg, resolve_motifs("CTCF"))
    assert int(ts.y.sum()) == 24
    said = [r.getMessage() for r in caplog.records if "hold only N" in r.getMessage()]
    assert len(said) == 1 and "2 of 26 sequences" in said[0]
    assert "line 4, line 9" in said[0]  # before: the count alone


def test_too_few_peaks_left_names_the_only_n_lines(tmp_path: Path) -> None:
    cfg = TrainDataConfig(
        peaks=str(_bed(tmp_path, 5, list(range(2, 22)))), genome=str(_genome(tmp_path)), window=100
    )
    with pytest.raises(
        TrainingDataError, match=r"hold only N \(no A, C, G or T\): line 2, line 3, line 4 and 17 more"
    ):
        training_set(cfg, resolve_motifs("CTCF"))
