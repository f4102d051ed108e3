"""``nlp generate evaluate`` while another run replaces the model: the held-out split and the network come
from one model (before: the split read from the old manifest, then the new network loaded by path, scored
on a tail it may have been trained on, without a word)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from carrousel.core.bundle import load_bundle
from carrousel.nlp.cli import app
from tests.folder_swaps import swapped_in_by_another_run


def _figures(out: str) -> tuple[Any, ...]:
    doc = json.loads(out)
    return doc["held_out_tokens"], doc["perplexity"], doc["baselines"]


def test_a_model_replaced_between_the_split_and_the_load_is_scored_whole(
    tmp_path: Path, lm_model: Path, small_text: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carrousel.nlp.pipeline.generate as generate

    model = tmp_path / "lm"
    shutil.copytree(lm_model, model)
    old = load_bundle(model)
    with torch.no_grad():
        for p in old.model.parameters():
            p.mul_(0.5)
    new = replace(old, assets={**old.assets, "holdout": 0.3}).save(tmp_path / ".new")  # another run's
    args = ["generate", "evaluate", "--model", str(model), "-t", str(small_text), "--orders", "1", "--json"]
    runner = CliRunner()
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    real = generate.evaluate_lm

    def replaced_first(cfg: Any) -> Any:  # the other run's new folder takes the old one's place
        swapped_in_by_another_run(new, model)
        return real(cfg)

    monkeypatch.setattr(generate, "evaluate_lm", replaced_first)
    raced = runner.invoke(app, args)
    assert raced.exit_code == 0, raced.output
    assert not new.exists()  # the folder was replaced during the command
    assert _figures(raced.stdout) == _figures(first.stdout)  # the old model, on its own split
