"""core.train.inference.evaluating: the one inference pass of the evaluation and prediction loops, ``predict``
and the domains' own passes (nlp's validation BLEU and stream likelihood, bio's filter knock-outs): the
model in evaluation mode without gradients, its own mode back afterwards. Fails on main (no evaluating)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from carrousel.core.train.inference import evaluating


@pytest.mark.parametrize("training", [True, False])
def test_the_model_s_own_mode_comes_back(training: bool) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.BatchNorm1d(4)).train(training)
    x = torch.randn(8, 3, requires_grad=True)
    with evaluating(model) as same:
        assert same is model and not model.training and not any(m.training for m in model.modules())
        out = model(x)
        assert not out.requires_grad and not torch.is_grad_enabled()
        assert torch.equal(out, model(x))  # dropout off, batch-norm statistics frozen
    assert model.training is training and all(m.training is training for m in model.modules())
    assert torch.is_grad_enabled()


def test_an_exception_inside_leaves_the_mode_as_it_was() -> None:
    model = nn.Linear(2, 2).train()
    with pytest.raises(RuntimeError, match="inside"), evaluating(model):
        raise RuntimeError("inside")
    assert model.training and torch.is_grad_enabled()


def test_onnx_export_and_the_runtime_import_no_training_package() -> None:
    """``evaluating`` lives in :mod:`carrousel.core.device` (re-exported here): ONNX export's
    ``verify_onnx`` uses it, and importing it from ``train.inference`` pulled the whole training package
    (trainer, optimisers, checkpoints) into ``carrousel.core.export.onnx`` and every runtime loader of an
    exported model (nlp's ``lm_export``). Fails before (the trainer was imported)."""
    from carrousel.core import device

    assert evaluating is device.evaluating
    code = (
        "import sys, carrousel.core.export.onnx, carrousel.core.export.deploy\n"
        "print(sorted(m for m in sys.modules if m.startswith('carrousel.core.train')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
