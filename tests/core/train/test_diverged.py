"""The one refusal of a diverged training (every domain's), and the trainer's overflowing optimiser step.

Before: ``lr = 1e38`` ended every domain's training in "internal error (RuntimeError: value cannot be
converted to type float without overflow)" from inside AdamW (a step of lr / (1 - beta1) is past float32's
largest value); and bio, finance and nlp each worded "the training diverged" their own way."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import NonFiniteLossError
from carrousel.core.train import (
    FitResult,
    StepOverflowError,
    TrainConfig,
    Trainer,
    check_held_out,
    finite_parameters,
    fit_refusing,
    refuse_diverged,
)

QUIET = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")


def _loader() -> DataLoader:
    return DataLoader(TensorDataset(*linear_data(64)), batch_size=16)


def test_the_refusal_has_one_shape() -> None:
    result = FitResult(history=[{"epoch": 1.0}, {"epoch": 2.0}], steps=8, skipped_steps=3)
    with pytest.raises(NonFiniteLossError) as err:
        refuse_diverged(result, "the held-out loss is nan", "--lr (now 1e+30)")
    assert str(err.value) == (
        "the training diverged: the held-out loss is nan after 2 epoch(s) (3 of 8 steps skipped for a "
        "non-finite loss or gradient); nothing is saved; lower --lr (now 1e+30)"
    )


def test_finite_parameters() -> None:
    model = mlp()
    assert finite_parameters(model)
    with torch.no_grad():
        next(model.parameters())[0, 0] = float("inf")
    assert not finite_parameters(model)


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd"])
def test_an_overflowing_step_is_a_divergence_not_an_internal_error(optimizer: str) -> None:
    """Before: RuntimeError "value cannot be converted to type float without overflow" from the optimiser."""
    cfg = dataclasses.replace(QUIET, lr=1e38 if optimizer != "sgd" else 1e39, optimizer=optimizer)
    trainer = Trainer(mlp(), RegressionTask(), cfg)
    with pytest.raises(StepOverflowError) as err:
        trainer.fit(_loader())
    assert isinstance(err.value, NonFiniteLossError)
    assert str(err.value).startswith("the training diverged: optimiser step 1 overflowed the float32 weights")
    assert str(err.value).endswith(
        "lower the learning rate (now 1e+38)" if optimizer != "sgd" else "(now 1e+39)"
    )
    assert err.value.result.steps == 0 and err.value.what.startswith("optimiser step 1 ")


def test_a_large_but_representable_step_still_trains() -> None:
    """The overflow guard catches the optimiser's refusal only: 1e-2 trains as before."""
    result = Trainer(mlp(), RegressionTask(), QUIET).fit(_loader())
    assert result.steps == 8 and result.skipped_steps == 0


def test_fit_refusing_names_the_callers_setting() -> None:
    """The overflowing step and weights left infinite, both in the one line naming the caller's own fix."""
    overflow = Trainer(mlp(), RegressionTask(), dataclasses.replace(QUIET, lr=1e38))
    with pytest.raises(
        NonFiniteLossError, match=r"overflowed the float32 weights .* lower \[train\] lr \(now 1e\+38\)$"
    ):
        fit_refusing(overflow, _loader(), None, "[train] lr (now 1e+38)")

    model = mlp()
    trainer = Trainer(model, RegressionTask(), QUIET)
    fit = trainer.fit

    def fit_then_overflow(*args: object) -> FitResult:
        result = fit(*args)  # type: ignore[arg-type]
        with torch.no_grad():
            next(model.parameters()).fill_(float("inf"))
        return result

    trainer.fit = fit_then_overflow  # type: ignore[method-assign]
    with pytest.raises(
        NonFiniteLossError, match=r"weights hold NaN or infinite values after 2 epoch\(s\).*--lr \(now 1\)$"
    ):
        fit_refusing(trainer, _loader(), None, "--lr (now 1)")
    assert fit_refusing(trainer, _loader(), None, "--lr (now 1)", weights=False).steps == 8  # unchecked


def test_check_held_out_refuses_only_a_non_finite_figure() -> None:
    result = FitResult(history=[{"epoch": 1.0}], steps=4, skipped_steps=1)
    check_held_out(0.7, result, "--lr (now 1)")  # a finite figure passes
    with pytest.raises(NonFiniteLossError) as err:
        check_held_out(float("inf"), result, "--lr (now 1e+30)", "the student's held-out loss")
    assert str(err.value) == (
        "the training diverged: the student's held-out loss is inf after 1 epoch(s) (1 of 4 steps skipped "
        "for a non-finite loss or gradient); nothing is saved; lower --lr (now 1e+30)"
    )
