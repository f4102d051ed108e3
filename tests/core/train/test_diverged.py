"""The one refusal of a diverged training (every domain's), and the trainer's overflowing optimiser step.

Before: ``lr = 1e38`` ended every domain's training in "internal error (RuntimeError: value cannot be
converted to type float without overflow)" from inside AdamW (a step of lr / (1 - beta1) is past float32's
largest value); and bio, finance and nlp each worded "the training diverged" their own way."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import DataError, NonFiniteLossError
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
    model.load_state_dict(mlp().state_dict())  # finite again: a fit from infinite weights skips every step,
    # which the trainer itself refuses
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


def _val_loader() -> DataLoader:
    return DataLoader(TensorDataset(*linear_data(32, seed=2)), batch_size=16)


def test_a_finite_but_useless_fit_is_refused_against_the_untrained_model() -> None:
    """AdamW at lr 1e6 (every step moves each weight by about 1e6; the tanh hidden layer keeps the outputs
    finite): a held-out MSE about 1e13, against the untrained network's about 1. Before: fit_refusing
    returned it (finite weights, finite loss) and the caller saved a useless model."""
    trainer = Trainer(mlp(), RegressionTask(), dataclasses.replace(QUIET, lr=1e6))
    with pytest.raises(NonFiniteLossError) as err:
        fit_refusing(trainer, _loader(), _val_loader(), "--lr (now 1e+06)")
    message = str(err.value)
    assert re.fullmatch(
        r"the training diverged: the held-out loss \S+ is more than 10x the untrained model's \S+ after 2 "
        r"epoch\(s\) \(0 of 8 steps skipped for a non-finite loss or gradient\); nothing is saved; lower "
        r"--lr \(now 1e\+06\)",
        message,
    ), message
    figures = re.search(r"loss (\S+) is more .* model's (\S+) after", message)
    assert figures is not None
    kept, untrained = (float(v) for v in figures.groups())
    assert kept > 1e10 and 0.1 < untrained < 10
    unchecked = Trainer(mlp(), RegressionTask(), dataclasses.replace(QUIET, lr=1e6))
    assert fit_refusing(unchecked, _loader(), None, "--lr (now 1e+06)").steps == 8  # no held-out batches


def test_a_normal_fit_is_unchanged_by_the_untrained_reference() -> None:
    """The snapshot and the extra validation pass leave the fitted weights, the result and every RNG state
    exactly as a plain ``trainer.fit`` leaves them."""
    plain = Trainer(mlp(), RegressionTask(), QUIET)
    expected = plain.fit(_loader(), _val_loader())
    after_plain = torch.get_rng_state()
    refusing = Trainer(mlp(), RegressionTask(), QUIET)
    result = fit_refusing(refusing, _loader(), _val_loader(), "--lr (now 0.01)")
    assert torch.equal(torch.get_rng_state(), after_plain)
    for a, b in zip(result.history, expected.history, strict=True):
        a.pop("epoch_time"), b.pop("epoch_time")
        assert a == b
    for a, b in zip(plain.model.state_dict().values(), refusing.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


class _ShiftedTask(RegressionTask):
    """MSE minus 100: a loss that is negative for any reasonable network."""

    def loss(self, outputs: torch.Tensor, batch: Any) -> torch.Tensor:
        return super().loss(outputs, batch) - 100.0


def test_a_reference_loss_that_is_not_positive_is_not_compared() -> None:
    """A ratio of losses means nothing against a negative reference: the check is skipped, not tripped."""
    trainer = Trainer(mlp(), _ShiftedTask(), dataclasses.replace(QUIET, lr=1e6))
    result = fit_refusing(trainer, _loader(), _val_loader(), "--lr (now 1e+06)")
    assert result.history[-1]["val_loss"] > 1e10


class _ScoredTask(RegressionTask):
    """MSE, with the held-out AUROC of the outputs against ``y > 0`` (it refuses NaN/inf scores)."""

    def metrics(self) -> dict[str, Any]:
        from carrousel.core.metrics import ROCAUC

        return {"auroc": ROCAUC()}

    def update_metrics(self, metrics: dict[str, Any], outputs: Any, batch: Any) -> None:
        metrics["auroc"].update(outputs.detach()[:, 0], (batch[1][:, 0] > 0).long())


def test_held_out_scores_that_only_the_trained_weights_make_non_finite_are_a_divergence() -> None:
    """SGD at lr 1e30 on a ReLU network: the first step leaves finite but huge weights whose outputs overflow,
    and the held-out AUROC refuses them. Before: its DataError "roc_auc: scores contain NaN or infinity" ended the training as
    if the held-out data were at fault; the same error where the untrained weights fail too (NaN inputs) is
    still the data's."""
    cfg = dataclasses.replace(QUIET, lr=1e30, optimizer="sgd")
    torch.manual_seed(0)
    relu = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    trainer = Trainer(relu, _ScoredTask(), cfg)
    with pytest.raises(NonFiniteLossError) as err:
        fit_refusing(trainer, _loader(), _val_loader(), "--lr (now 1e+30)")
    assert str(err.value).startswith(
        "the training diverged: the held-out evaluation fails for the trained weights, not for the untrained "
        "ones after 0 epoch(s)"
    ), err.value
    assert str(err.value).endswith("; nothing is saved; lower --lr (now 1e+30)")
    x, y = linear_data(32, seed=2)
    x[0, 0] = float("nan")  # held-out data no weights can score
    bad = DataLoader(TensorDataset(x, y), batch_size=16)
    with pytest.raises(DataError, match="scores contain NaN or infinity"):
        fit_refusing(Trainer(mlp(), _ScoredTask(), QUIET), _loader(), bad, "--lr (now 0.01)")


def test_a_held_out_loss_left_nan_by_finite_weights_is_a_divergence() -> None:
    """SGD at lr 1e30 on a ReLU network, MSE alone (no metric to refuse the outputs): finite weights whose
    held-out outputs overflow, a held-out loss of NaN. Before: fit_refusing returned it (only a finite kept
    loss was compared with the untrained model's), leaving the refusal to each caller's own check."""
    torch.manual_seed(0)
    relu = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    trainer = Trainer(relu, RegressionTask(), dataclasses.replace(QUIET, lr=1e30, optimizer="sgd"))
    with pytest.raises(NonFiniteLossError) as err:
        fit_refusing(trainer, _loader(), _val_loader(), "--lr (now 1e+30)")
    assert finite_parameters(trainer.model)
    assert re.fullmatch(
        r"the training diverged: the held-out loss is nan \(the untrained model's \S+\) after 2 epoch\(s\) "
        r"\(\d+ of 8 steps skipped for a non-finite loss or gradient\); nothing is saved; lower --lr \(now "
        r"1e\+30\)",
        str(err.value),
    ), err.value
