"""fp16 training scales its loss on every GPU kind: CUDA and Apple MPS.

The trainer made a ``GradScaler`` for fp16 on CUDA only, so ``--precision fp16 --device mps`` trained
without loss scaling: small gradients flush to zero in fp16's backward pass and training stalls. core's
``grad_scaler`` now gives one on CUDA and MPS (None for fp32, bf16 and the CPU, where fp16 runs as bf16).
No MPS device runs here: the unit test asks ``grad_scaler`` (a GradScaler is built lazily, so one for MPS
can be made anywhere); the trainer test runs where MPS exists and skips elsewhere.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.device import grad_scaler
from carrousel.core.train import TrainConfig, Trainer


@pytest.mark.filterwarnings("ignore:torch.cuda.amp.GradScaler is enabled, but CUDA is not available")
@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_fp16_on_a_gpu_gets_a_scaler_of_that_device(kind: str) -> None:
    scaler = grad_scaler("fp16", torch.device(kind))
    assert isinstance(scaler, torch.amp.GradScaler) and scaler._device == kind


@pytest.mark.parametrize(
    ("precision", "kind"),
    [("fp32", "cuda"), ("bf16", "cuda"), ("fp32", "mps"), ("bf16", "mps"), ("fp16", "cpu"), ("bf16", "cpu")],
)
def test_no_scaler_elsewhere(precision: str, kind: str) -> None:
    assert grad_scaler(precision, torch.device(kind)) is None


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_fp16_training_on_mps_scales_and_learns() -> None:
    x, y = linear_data()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    cfg = TrainConfig(epochs=3, lr=3e-2, progress=False, device="mps", precision="fp16")
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), cfg)
    assert trainer.scaler is not None
    result = trainer.fit(loader, loader)
    assert result.history[-1]["val_loss"] < 0.5 * result.history[0]["val_loss"]
