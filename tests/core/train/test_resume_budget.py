"""A resume whose budget (epochs, max_steps) sizes the onecycle or cosine schedule otherwise than the
checkpoint's: one warning naming both sizes (was silent; the resumed weights differ from a straight run's)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.train import TrainConfig, Trainer

LOGGER = "carrousel.core.train.state"


def _fit(cfg: TrainConfig, resume: str | None = None) -> None:
    loader = DataLoader(TensorDataset(*linear_data(64)), batch_size=16)  # 4 steps an epoch
    Trainer(mlp(), RegressionTask(), cfg).fit(loader, resume=resume)


@pytest.mark.parametrize(
    ("scheduler", "was", "now"), [("onecycle", "6 steps", "12 steps"), ("cosine", "2 epochs", "3 epochs")]
)
def test_a_resume_with_a_larger_budget_warns_once_naming_both_schedules(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, scheduler: str, was: str, now: str
) -> None:
    """max_steps 6 then 12, 4 steps an epoch: onecycle is sized 6 then 12 steps, cosine 2 then 3 epochs.
    The resume keeps the checkpoint's schedule (it cannot equal a straight run: the first 6 steps followed
    the shorter one) and says so once."""
    cfg = TrainConfig(
        epochs=4, lr=1e-2, scheduler=scheduler, max_steps=6, progress=False, device="cpu",
        checkpoint_dir=str(tmp_path),
    )  # fmt: skip
    _fit(cfg)
    with caplog.at_level("WARNING", logger=LOGGER):
        _fit(dataclasses.replace(cfg, max_steps=12), resume="auto")
    records = [r for r in caplog.records if r.name == LOGGER and "schedule was sized" in r.getMessage()]
    assert len(records) == 1 and records[0].levelname == "WARNING"
    text = records[0].getMessage()
    assert f"{scheduler} schedule was sized for {was}" in text
    assert f"(epochs=4, max_steps=12) sizes it for {now.split()[0]}" in text and f"over {now}" in text


def test_a_resume_whose_budget_sizes_the_same_schedule_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """cosine over ceil(max_steps / 4) epochs: 6 and 7 steps both give 2, nothing changed."""
    cfg = TrainConfig(
        epochs=4, lr=1e-2, scheduler="cosine", max_steps=6, progress=False, device="cpu",
        checkpoint_dir=str(tmp_path),
    )  # fmt: skip
    _fit(cfg)
    with caplog.at_level("WARNING", logger=LOGGER):
        _fit(dataclasses.replace(cfg, max_steps=7), resume="auto")
    assert "schedule was sized" not in caplog.text
