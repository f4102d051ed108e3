"""``bio discover`` on a model trained on sequences named the task ``task0_filter47`` (the model's motif
for its output: filter 47's, read on the training positives) and marked ``filter33`` as the task motif: the
discovered motif that best matched that matrix. Read on other windows (the model seed 1 of 1,000 Oct4
against 1,000 Mafk peaks, 3 epochs, read on the Mafk peaks) filter 47 fires on other sub-sequences, and
another filter's matrix came closer (Tomtom p 0.0018 against filter 47's 0.014). The task filter's own
motif is the task motif now (``filter47``), the best match only where the model's motif is no filter's
(a JASPAR matrix) or the filter gives no motif; ``--json``'s ``task_motif`` names the ``task_filter``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.bio import pipeline
from carrousel.bio.config import DiscoverConfig, MotifExtraction
from carrousel.bio.discover import find_motifs, task_filter
from carrousel.bio.fasta import encode
from carrousel.bio.motifs import Motif
from tests.bio.conftest import TWO_SITES, fit_without_motifs, two_detectors


@pytest.mark.parametrize("filters", [None, [0]])
def test_the_task_filters_own_motif_is_the_task_motif(filters: list[int | None] | None) -> None:
    model, codes = two_detectors()
    # the model's motif for its output, read from filter 0 elsewhere, now closer to filter 1's matrix
    reference = Motif("task0_filter0", "task0_filter0", np.eye(4)[encode(TWO_SITES[1])] * 50 + 1)
    found = find_motifs(
        model,
        codes,
        [],
        MotifExtraction(min_sites=5),
        task_motifs=[reference],
        output_names=[reference.name],
        task_filters=filters,
    )
    assert {m.id for m in found.motifs} >= {"filter0", "filter1"}
    want = "filter1" if filters is None else "filter0"  # no task filter known: the best match, as before
    assert found.task_motif == want and found.task_match is not None
    assert found.task_match.target_id == "task0_filter0"
    doc = found.summary()["task_motif"]
    assert (doc["id"], doc["task_filter"], doc["reference"]) == (
        want,
        filters and filters[0],
        "task0_filter0",
    )


def test_which_filter_a_models_motif_was_read_from() -> None:
    counts = np.eye(4)[encode("ACGTACG")] * 10 + 1
    assert task_filter(Motif("task0_filter21", "task0_filter21", counts)) == 21
    assert task_filter(Motif("task2_filter7", "task2_filter7", counts), {"seed": 0}) == 7
    assert task_filter(Motif("MA0139.2", "CTCF", counts)) is None  # a JASPAR matrix (the panel)
    assert task_filter(Motif("filter21", "filter21", counts)) is None
    distilled = {"distilled": {"filters": {"before": 64, "after": 16}}}  # renumbered: index 21 is another's
    assert task_filter(Motif("task0_filter21", "task0_filter21", counts), distilled) is None
    same = {"distilled": {"filters": {"before": 64, "after": 64}}}
    assert task_filter(Motif("task0_filter21", "task0_filter21", counts), same) == 21


def test_discover_passes_the_models_task_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, x = fit_without_motifs()
    folder = pipeline.save_model(model, tmp_path / "m")
    (motif,) = model.motifs
    fa = tmp_path / "s.fa"
    fa.write_text("".join(f">s{i}\n{''.join('ACGT'[c] for c in w)}\n" for i, w in enumerate(x[:30])))
    seen: dict[str, Any] = {}

    class StopError(Exception):
        pass

    def find(*args: Any, **kw: Any) -> None:
        seen.update(kw)
        raise StopError

    monkeypatch.setattr(pipeline, "find_motifs", find)
    with pytest.raises(StopError):
        pipeline.discover(
            DiscoverConfig(model=str(folder), sequences=str(fa), collection="CTCF"), tmp_path / "o"
        )
    assert motif.id.startswith("task0_filter")
    assert seen["task_filters"] == [int(motif.id.removeprefix("task0_filter"))]
