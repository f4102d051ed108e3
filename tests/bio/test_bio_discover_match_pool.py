"""``bio discover`` with a model trained on sequences compared each discovered motif with JASPAR and the
model's own task motif (``task0_filterF``) in one search, so that motif's columns were in every JASPAR
match's null and its p-value among the BH q-values: against JASPAR CORE vertebrates (1,019 motifs) the
listed matches of a 300 Oct4 / 300 Mafk peak model differed from a Tomtom-style search of JASPAR alone by
up to 2.1% in p, 2.2% in E and 2.6% in q. The JASPAR matches are now the search of JASPAR alone; the
task motif still gets its own comparison."""

from __future__ import annotations

import numpy as np

from carrousel.bio.config import MotifExtraction
from carrousel.bio.discover import find_motifs
from carrousel.bio.fasta import encode
from carrousel.bio.motifs import Motif
from carrousel.bio.tomtom import search
from tests.bio.conftest import TWO_SITES, two_detectors


def test_jaspar_matches_are_against_jaspar_alone() -> None:
    model, codes = two_detectors()
    rng = np.random.default_rng(1)
    targets = [
        Motif(f"MA{i}", f"t{i}", rng.integers(0, 30, size=(8, 4)).astype(float) + 1) for i in range(30)
    ]
    targets[3] = Motif("MA3", "like0", np.eye(4)[encode("ATTGACGTA")] * 40 + 2)
    own = Motif("task0_filter0", "task0_filter0", np.eye(4)[encode(TWO_SITES[0])] * 50 + 1)
    found = find_motifs(
        model, codes, targets, MotifExtraction(min_sites=5), task_motifs=[own], task_filters=[0]
    )
    assert found.task_match is not None and found.task_match.target_id == "task0_filter0"
    for m in found.motifs:
        alone = search(m, targets)[:3]
        got = found.matches[m.id]
        assert [x.target_id for x in got] == [x.target_id for x in alone], m.id
        for x, y in zip(got, alone, strict=True):  # before: filter0-MA3 p 9.5e-12, not 3.6e-13
            assert (x.pvalue, x.evalue, x.qvalue) == (y.pvalue, y.evalue, y.qvalue), (m.id, x, y)
