"""Motif specs as a notebook writes them in a config: one name as a plain string, or a list."""

from __future__ import annotations

import pytest

from carrousel.bio.config import EnrichConfig, EvaluateConfig, ExportConfig, ScanConfig, TrainDataConfig


@pytest.mark.parametrize("make", [ScanConfig, TrainDataConfig, EvaluateConfig, ExportConfig, EnrichConfig])
def test_one_motif_as_a_string_is_one_spec_and_a_list_a_tuple(make: type) -> None:
    # before: motifs="CTCF" became ('C', 'T', 'C', 'F') (scan: "no JASPAR motif named 'C'")
    assert make(motifs="CTCF").motifs == ("CTCF",)
    cfg = make(motifs=["MA0139.2", "REST"])
    assert cfg.motifs == ("MA0139.2", "REST") and hash(cfg.motifs)
