"""``motif_label``: the one way bio names a motif (``NAME ID``, or the ID alone) in its warnings, its
evaluate reasons, its logo titles and the motif files it writes; the texts are those each place built
itself before."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from carrousel.bio.enrich import _warn_longer
from carrousel.bio.evaluate import choose_task
from carrousel.bio.motif_names import motif_label
from carrousel.bio.motifs import Motif, write_jaspar, write_meme
from carrousel.bio.pwm import IntegerPWM, warn_unreachable


def _motif(mid: str, name: str, length: int = 8) -> Motif:
    counts = np.full((length, 4), 1.0)
    counts[np.arange(length), np.arange(length) % 4] = 20.0
    return Motif(mid, name, counts, "test")


CTCF, FILTER, BARE = _motif("MA0139.2", "CTCF"), _motif("filter3", "filter3"), _motif("MA0001.1", "")


def _warned(caplog: pytest.LogCaptureFixture, call: Any) -> str:
    with caplog.at_level("WARNING", logger="carrousel"):
        call()
    (record,) = [r for r in caplog.records if r.levelname == "WARNING"]
    return record.getMessage()


def test_the_label_is_name_then_id_or_the_id_alone() -> None:
    assert motif_label(CTCF) == "CTCF MA0139.2" and motif_label(CTCF, "_") == "CTCF_MA0139.2"
    assert motif_label(CTCF, id_first=True) == "MA0139.2 CTCF"
    assert [motif_label(m) for m in (FILTER, BARE)] == ["filter3", "MA0001.1"]
    assert motif_label(FILTER, "_", id_first=True) == "filter3"


def test_the_warning_of_motifs_longer_than_every_target_names_them_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    msg = _warned(caplog, lambda: _warn_longer([IntegerPWM(CTCF), IntegerPWM(FILTER)], 5))
    assert "no hits: CTCF MA0139.2 (8 bp), filter3 (8 bp); their rows" in msg


def test_the_warning_of_unreachable_motifs_names_them_as_before(caplog: pytest.LogCaptureFixture) -> None:
    msg = _warned(caplog, lambda: warn_unreachable([IntegerPWM(CTCF), IntegerPWM(FILTER)], 1e-9))
    assert "no hits: CTCF MA0139.2 (8 bp, best p " in msg and ", filter3 (8 bp, best p " in msg


def test_a_motif_without_a_name_is_named_by_its_id_alone_in_both_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A :class:`Motif` built with ``name=""`` (the parsers give the ID instead; the Python API may not):
    the two warnings named it ``" MA0001.1"``, a space before the ID (``hits:  MA0001.1``); evaluate, the
    logos and the writers already named it by its ID alone, as both warnings now do."""
    assert "no hits: MA0001.1 (8 bp)" in _warned(caplog, lambda: _warn_longer([IntegerPWM(BARE)], 5))
    caplog.clear()
    assert "no hits: MA0001.1 (8 bp, best p" in _warned(
        caplog, lambda: warn_unreachable([IntegerPWM(BARE)], 1e-9)
    )


def test_evaluate_names_the_outputs_name_underscore_id_as_before() -> None:
    model: Any = SimpleNamespace(motifs=[CTCF, FILTER, BARE])
    aurocs = {"MA0139.2": 0.6, "filter3": 0.9, "MA0001.1": 0.5}
    col, why = choose_task(model, None, [], lambda m: aurocs[m.id])
    assert col == 1 and why == (
        "its PWM (filter3) best separates the positives from the negatives "
        "(PWM AUROC 0.9000; next CTCF_MA0139.2 0.6000)"
    )
    assert (
        choose_task(model, None, [CTCF], lambda m: 0.5)[1]
        == "motifs='MA0139.2' is the model output CTCF_MA0139.2"
    )


def test_the_motif_files_write_the_id_then_a_name_that_says_more() -> None:
    meme = write_meme([CTCF, FILTER, BARE])
    assert [line for line in meme.splitlines() if line.startswith("MOTIF")] == [
        "MOTIF MA0139.2 CTCF",
        "MOTIF filter3",
        "MOTIF MA0001.1",
    ]
    jaspar = write_jaspar([CTCF, FILTER, BARE])
    assert [line for line in jaspar.splitlines() if line.startswith(">")] == [
        ">MA0139.2\tCTCF",
        ">filter3",
        ">MA0001.1",
    ]


def test_the_logo_title_is_the_id_then_a_name_that_says_more() -> None:
    pytest.importorskip("logomaker")
    import matplotlib.pyplot as plt

    from carrousel.bio.logos import draw_logo

    for motif, title in ((CTCF, "MA0139.2 CTCF"), (FILTER, "filter3"), (BARE, "MA0001.1")):
        fig = draw_logo(motif, "")
        assert fig.axes[0].get_title() == title
        plt.close(fig)
