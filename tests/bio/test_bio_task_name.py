"""A model trained without motifs on a positives FASTA (``bio train --positives P.fa --negatives N.fa``, the
training step of ``bio discover``) named its one output after a filter, ``task0_filter24``, and ``bio
evaluate`` showed ``model (task0_filter24)``. Its output is now named after the positives (or peak) file,
``ctcf_peaks`` of ``ctcf_peaks.fa.gz``, shown as ``ctcf_peaks task0_filter24``; the ID keeps the filter
(what discovery reads, what ``--json``'s ``task`` is), and a model saved before (name == ID) reads and shows
as it did."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from carrousel.bio.discover import task_filter
from carrousel.bio.evaluate import evaluate_windows
from carrousel.bio.models import MotifModel
from carrousel.bio.motifs import Motif
from tests.bio.conftest import fit_without_motifs


def _fit(sources: dict[str, object] | None) -> MotifModel:
    model, _ = fit_without_motifs(None if sources is None else {"sources": sources})
    return model


@pytest.fixture(scope="module")
def named() -> MotifModel:
    return _fit({"positives": {"path": "/data/my ctcf_peaks.fa.gz", "sha256": "0"}})


def test_the_output_is_named_after_the_positives_file(named: MotifModel) -> None:
    (m,) = named.motifs
    assert m.name == "my_ctcf_peaks" and m.id.startswith("task0_filter"), m
    assert task_filter(m) == int(m.id.removeprefix("task0_filter"))  # discovery still finds the filter
    assert named.own_motifs


def test_evaluate_shows_the_name_and_keeps_the_id(named: MotifModel) -> None:
    rng = np.random.default_rng(1)
    pos, neg = rng.integers(0, 4, size=(2, 20, 40)).astype(np.uint8)
    res = evaluate_windows(named, pos, neg, [])
    (m,) = named.motifs
    assert res.task == m.id and res.summary()["task"] == m.id  # --json's task: the ID, as before
    assert next(iter(res.scores)) == f"model (my_ctcf_peaks {m.id})", list(res.scores)
    assert evaluate_windows(named, pos, neg, [], task="my_ctcf_peaks").task == m.id  # --task NAME


@pytest.mark.parametrize(
    ("sources", "name"),
    [
        ({"peaks": {"path": "peaks/ENCFF001.narrowPeak.gz"}}, "ENCFF001"),
        ({"positives": {"path": "pos.txt"}, "negatives": {"path": "neg.fa"}}, "pos"),
    ],
)
def test_a_peak_file_names_it_too(sources: dict[str, object], name: str) -> None:
    assert _fit(sources).motifs[0].name == name


def test_without_a_file_and_before_the_output_keeps_the_filter_name() -> None:
    unnamed = _fit(None)
    (m,) = unnamed.motifs
    assert m.name == m.id
    old = Motif("task0_filter2", "task0_filter2", np.ones((7, 4)), "model")  # a model saved before
    model = replace(unnamed, motifs=[old])
    rng = np.random.default_rng(1)
    pos, neg = rng.integers(0, 4, size=(2, 20, 40)).astype(np.uint8)
    assert next(iter(evaluate_windows(model, pos, neg, []).scores)) == "model (task0_filter2)"
