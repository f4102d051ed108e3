"""speech's training loaders (speech train, and the pruned and distilled variants of speech export) pin
their batches where the trainer runs on CUDA, by core's rule (:func:`carrousel.core.device.pin_memory_for`),
so that the trainer's ``non_blocking`` copy is asynchronous; on the CPU nothing changes, with worker
processes too. The CUDA cases run on the CPU with the rule answering as for CUDA (each fails on main, where
no speech loader pinned). The fixtures ``corpora`` and ``tiny`` are in ``conftest.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from carrousel.speech import pipeline, prune
from carrousel.speech.cli import app
from carrousel.speech.config import AugmentConfig, FeatureConfig
from carrousel.speech.data import SpeechDataset, Utterance, make_loader
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.pipeline import training
from carrousel.speech.text import ENGLISH
from tests.cuda_pins import rule_as_cuda, spy_loaders
from tests.speech.conftest import two_steps

pytestmark = pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")


class _StopError(Exception):
    """Ends a variant's build once its loaders exist."""


def _as_cuda(monkeypatch: pytest.MonkeyPatch, module: Any, cuda: bool) -> tuple[list[Any], list[bool]]:
    """The rule in ``module`` answering as for CUDA (``cuda``) or as it does, and a spy on the loaders it
    builds: (the devices the rule was asked about, each loader's ``pin_memory``)."""
    asked = rule_as_cuda(monkeypatch, module, cuda)
    return asked, spy_loaders(monkeypatch, module, "make_loader", make_loader)


def test_pinned_loaders_with_workers_give_the_same_batches(tmp_path, write_wav, tone) -> None:  # type: ignore[no-untyped-def]
    utts = []
    for i in range(8):
        path = write_wav(f"{i}.wav", tone(0.3 + 0.07 * i, freq=150.0 + 20 * i))
        utts.append(Utterance(str(path), "yes no"[: 2 + i % 5].strip(), 0.3 + 0.07 * i))
    dataset = SpeechDataset(
        utts, FeatureExtractor(FeatureConfig()), ENGLISH, AugmentConfig(noise_prob=1.0), 7
    )
    runs = {}
    for workers in (0, 2):
        for pin in (False, True):
            loader = make_loader(dataset, 1.5, True, 7, workers, pin_memory=pin)
            assert loader.pin_memory is pin
            runs[workers, pin] = [[t for batch in loader for t in batch] for _ in range(2)]  # two epochs
    plain = runs[0, False]
    assert len(plain[0]) > 4
    for key, batches in runs.items():
        for a, b in zip(plain, batches, strict=True):
            assert len(a) == len(b) and all(torch.equal(u, v) for u, v in zip(a, b, strict=True)), key


@pytest.mark.parametrize("cuda", [True, False])
def test_speech_train_pins_for_a_cuda_trainer(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, corpora: dict[str, str], tmp_path: Path, cuda: bool
) -> None:
    """Two steps of training with two worker processes: the pinned batches train on the CPU as well."""
    asked, pins = _as_cuda(monkeypatch, training, cuda)
    result = pipeline.train(two_steps(corpora["train"], width=16, layers=1, workers=2), tmp_path / "m")
    assert asked == ["cpu"]  # the training's device
    assert pins == [cuda, cuda]  # training and validation
    assert result is not None


@pytest.mark.parametrize("variant", [["--prune", "0.5"], ["--distill", "16"]])
def test_export_variants_pin_for_a_cuda_trainer(
    monkeypatch: pytest.MonkeyPatch, tiny: Path, tmp_path: Path, variant: list[str]
) -> None:
    def stop(*args: Any, **kwargs: Any) -> Any:
        raise _StopError

    for cuda in (True, False):
        asked, pins = _as_cuda(monkeypatch, prune, cuda)
        monkeypatch.setattr(prune, "prune_and_finetune", stop)
        monkeypatch.setattr("carrousel.speech.distill.Trainer", stop)
        args = ["export", "--model", str(tiny), "-o", str(tmp_path / "o"), *variant, "--precision", "fp32"]
        res = CliRunner().invoke(app, args)
        assert "_StopError" in res.output, res.output  # stopped once the loaders were built
        assert asked == ["auto"]  # the variant's TrainConfig device
        assert pins == [cuda, cuda]
