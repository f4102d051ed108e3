"""The Trainer from Python with the mistakes a newcomer makes: one clear CarrouselError naming the argument
and the fix, before or at the first batch (they were AttributeError / TypeError / RuntimeError from deep
inside the loop: "'object' object has no attribute 'stateful'", "grad can be implicitly created only for
scalar outputs", "'float' object has no attribute 'backward'")."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import (
    CarrouselError,
    ConfigError,
    DataError,
    NonFiniteLossError,
    OutputError,
    ShapeError,
)
from carrousel.core.train import Callback, TrainConfig, Trainer

CFG = TrainConfig(epochs=1, progress=False, device="cpu")


def loader() -> DataLoader[Any]:
    return DataLoader(TensorDataset(*linear_data(64)), batch_size=16)


class PerSampleLoss(RegressionTask):
    """A loss left unreduced: ``(B, 1)`` squared errors."""

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return nn.functional.mse_loss(outputs, batch[1], reduction="none")


class FloatLoss(RegressionTask):
    def loss(self, outputs: Tensor, batch: Any) -> Any:
        return float(nn.functional.mse_loss(outputs, batch[1]))


class OneElementLoss(RegressionTask):
    """A ``(1,)`` loss: back-propagates like a scalar, so it is accepted as before."""

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return nn.functional.mse_loss(outputs, batch[1]).reshape(1)


def test_an_unreduced_loss_is_one_shape_error_naming_the_fix() -> None:
    with pytest.raises(ShapeError, match=r"Task.loss returned a tensor of shape \(16, 1\), not one number; "):
        Trainer(mlp(), PerSampleLoss(), CFG).fit(loader())
    with pytest.raises(ShapeError, match=r"Task.loss returned a tensor of shape \(16, 1\)"):
        Trainer(mlp(), PerSampleLoss(), CFG).evaluate(loader())


def test_a_loss_that_is_not_a_tensor_is_one_error() -> None:
    with pytest.raises(ShapeError, match=r"Task.loss returned a float, not a tensor"):
        Trainer(mlp(), FloatLoss(), CFG).fit(loader())


def test_a_one_element_loss_still_trains() -> None:
    result = Trainer(mlp(), OneElementLoss(), CFG).fit(loader(), loader())
    assert result.steps == 4 and torch.isfinite(torch.tensor(result.history[-1]["val_loss"]))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(task=object()), "task must be a carrousel.core.train.Task, got object"),
        (dict(model=lambda x: x), "model must be a torch.nn.Module, got function"),
        (
            dict(callbacks=Callback()),
            "callbacks must be a list of Callback, got one Callback; pass [callback]",
        ),
        (dict(callbacks=[object()]), "callbacks[0] is a object, not a carrousel.core.train.Callback"),
    ],
)
def test_wrong_arguments_are_one_config_error(kwargs: dict[str, Any], needle: str) -> None:
    args: dict[str, Any] = dict(model=mlp(), task=RegressionTask(), config=CFG) | kwargs
    with pytest.raises(ConfigError) as caught:
        Trainer(**args)
    assert needle in str(caught.value) and isinstance(caught.value, CarrouselError)


def test_predict_given_a_loader_names_trainer_predict() -> None:
    """``carrousel.core.train.predict(model, loader)`` (the loader a Trainer takes) failed inside the loop
    with "'DataLoader' object is not subscriptable"; it is one DataError pointing at Trainer.predict, and an
    array or tensor still runs."""
    from carrousel.core.errors import DataError
    from carrousel.core.train import predict

    model = mlp()
    with pytest.raises(
        DataError, match=r"predict takes an \(N, \.\.\.\) array or tensor, got a DataLoader.*"
    ):
        predict(model, loader())
    x = linear_data(8)[0]
    assert predict(model, x).shape == (8, 1) and predict(model, x.numpy()).shape == (8, 1)


class Scored(RegressionTask):
    """Reports one metric where higher is better and one where lower is."""

    def metrics(self) -> dict[str, Any]:
        from carrousel.core.metrics import MeanAbsoluteError, MeanSquaredError

        closeness = type("Closeness", (MeanSquaredError,), {"higher_is_better": True})  # higher is better
        return {"close": closeness(), "mae": MeanAbsoluteError()}

    def update_metrics(self, metrics: dict[str, Any], outputs: Tensor, batch: Any) -> None:
        for metric in metrics.values():
            metric.update(outputs, batch[1])


@pytest.mark.parametrize(("monitor", "mode"), [("val_close", "min"), ("val_mae", "max")])
def test_a_monitored_metric_against_its_direction_is_refused_before_training(monitor: str, mode: str) -> None:
    """``TrainConfig(monitor="val_acc")`` with the default ``mode="min"`` kept the WORST epoch's weights
    (restore_best) without a word, although ``Metric.higher_is_better`` said which way is better (and its
    docstring said the trainer used it). Now one ConfigError before the first step names the fix."""
    cfg = dataclasses.replace(CFG, monitor=monitor, mode=mode, epochs=2)  # type: ignore[arg-type]
    trainer = Trainer(mlp(), Scored(), cfg)
    want = "max" if mode == "min" else "min"
    with pytest.raises(ConfigError, match=rf"^monitor {monitor!r} .* mode='{mode}' .*mode='{want}'"):
        trainer.fit(loader(), loader())
    assert trainer.step == 0
    agreed = Trainer(mlp(), Scored(), dataclasses.replace(cfg, mode=want)).fit(loader(), loader())  # type: ignore[arg-type]
    assert agreed.best_epoch is not None and agreed.monitor == monitor


def test_an_early_stopping_callback_against_its_metric_is_refused_before_training() -> None:
    """``EarlyStopping("val_close", mode="min")`` passed as a callback (not through TrainConfig) was never
    checked: it stopped training while the metric kept getting better. Now the same ConfigError as the
    Trainer's own check, naming the callback as the place to fix, before the first step."""
    from carrousel.core.train import EarlyStopping

    trainer = Trainer(
        mlp(), Scored(), dataclasses.replace(CFG, epochs=2), callbacks=[EarlyStopping("val_close")]
    )
    with pytest.raises(
        ConfigError, match=r"^monitor 'val_close' .* mode='min' .*set EarlyStopping\(mode='max'\)$"
    ):
        trainer.fit(loader(), loader())
    assert trainer.step == 0
    agreed: list[Callback] = [
        EarlyStopping("val_close", mode="max"),
        EarlyStopping("val_loss"),
        EarlyStopping("val_mae"),
    ]
    assert Trainer(mlp(), Scored(), CFG, callbacks=agreed).fit(loader(), loader()).steps > 0


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [("epochs", 0, "epochs=10"), ("epochs", -1, "epochs=10"), ("max_steps", 0, "max_steps=1000")],
)
def test_a_config_that_trains_nothing_is_refused(field: str, value: int, valid: str) -> None:
    """``TrainConfig(epochs=0)`` (and ``max_steps=0``) was accepted and ``fit`` returned the untrained model
    with no error and an empty history; every domain CLI already refuses ``--epochs 0``."""
    with pytest.raises(ConfigError, match=rf"^{field} must be >= 1 .*got {value}; e\.g\. {valid}$"):
        TrainConfig(**{field: value})


def test_the_built_in_early_stopping_checks_its_monitor_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``TrainConfig(patience=...)``'s early stopping: the Trainer checks its monitor and mode (naming
    TrainConfig in the fix), and the callback checked them again on fit start (the same answer, twice);
    now once. An EarlyStopping the user passes still checks its own (naming EarlyStopping)."""
    import carrousel.core.train.callbacks as callbacks_mod
    import carrousel.core.train.trainer as trainer_mod
    from carrousel.core.train import EarlyStopping
    from carrousel.core.train.task import check_monitor

    owners: list[str] = []

    def spy(task: Any, monitor: str, mode: str, owner: str = "TrainConfig") -> None:
        owners.append(owner)
        check_monitor(task, monitor, mode, owner)

    monkeypatch.setattr(callbacks_mod, "check_monitor", spy)
    monkeypatch.setattr(trainer_mod, "check_monitor", spy)
    cfg = dataclasses.replace(CFG, monitor="val_close", mode="max", patience=2, epochs=2)  # type: ignore[arg-type]
    assert Trainer(mlp(), Scored(), cfg).fit(loader(), loader()).monitor == "val_close"
    assert owners == ["TrainConfig"]  # before: ["TrainConfig", "EarlyStopping"]
    owners.clear()
    plain = dataclasses.replace(cfg, monitor="val_loss", mode="min")  # type: ignore[arg-type]
    assert (
        Trainer(mlp(), Scored(), plain).fit(loader()).monitor == "train_loss"
    )  # no validation: checked once
    assert owners == ["TrainConfig"]
    owners.clear()
    mine: list[Callback] = [EarlyStopping("val_close", mode="max")]
    Trainer(mlp(), Scored(), cfg, callbacks=mine).fit(loader(), loader())
    assert owners == ["TrainConfig", "EarlyStopping"]
    wrong = dataclasses.replace(cfg, mode="min")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"set TrainConfig\(mode='max'\)$"):  # the message unchanged
        Trainer(mlp(), Scored(), wrong).fit(loader(), loader())


def test_an_empty_evaluation_loader_is_one_data_error() -> None:
    """``evaluate`` over no batches returned ``{"loss": nan}`` as if it were a figure."""
    x, y = linear_data(64)
    trainer = Trainer(mlp(), RegressionTask(), CFG)
    empty = DataLoader(TensorDataset(x[:0], y[:0]), batch_size=16)
    with pytest.raises(DataError, match=r"^the evaluation loader yielded no batches .*; check the dataset, "):
        trainer.evaluate(empty)
    with pytest.raises(DataError, match="the evaluation loader yielded no batches"):
        trainer.evaluate([])
    assert math.isfinite(trainer.evaluate(loader())["loss"])  # a loader with batches is evaluated as before


@pytest.mark.parametrize("nonfinite", ["skip", "stop"])
def test_training_on_nan_inputs_stops_with_one_error(nonfinite: str) -> None:
    """NaN in every batch with the default ``nonfinite="skip"``: every step was skipped and fit returned
    an untrained model with ``train_loss`` NaN, no error (a warning per the first three steps only)."""
    x, y = linear_data(64)
    x[::16, 0] = math.nan  # one row of each batch of 16
    trainer = Trainer(mlp(), RegressionTask(), dataclasses.replace(CFG, epochs=3, nonfinite=nonfinite))
    with pytest.raises(NonFiniteLossError, match="check the inputs") as info:
        trainer.fit(DataLoader(TensorDataset(x, y), batch_size=16))
    assert "\n" not in str(info.value)
    if nonfinite == "skip":
        assert str(info.value).startswith("all 4 optimiser steps up to epoch 1 were skipped for a non-finite")
        assert trainer.history == []  # refused at the first epoch's end, before any epoch is logged


def test_a_stray_nan_batch_is_still_skipped() -> None:
    """One bad batch among good ones: skipped, counted, and the fit goes on (what ``skip`` is for)."""
    x, y = linear_data(64)
    x[0, 0] = math.nan
    cfg = dataclasses.replace(CFG, epochs=2)
    result = Trainer(mlp(), RegressionTask(), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=16))
    assert result.skipped_steps == 2 and result.steps == 8
    assert all(math.isfinite(h["train_loss"]) for h in result.history)


def test_a_nan_held_out_loss_is_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    """NaN in one held-out row: every val_loss was NaN, no best epoch kept, and nothing said so."""
    x, y = linear_data(64)
    xv = x.clone()
    xv[3, 0] = math.nan
    val = DataLoader(TensorDataset(xv, y), batch_size=16)
    with caplog.at_level("WARNING", logger="carrousel.core.train.trainer"):
        result = Trainer(mlp(), RegressionTask(), dataclasses.replace(CFG, epochs=3)).fit(loader(), val)
    lines = [r.getMessage() for r in caplog.records if "monitored" in r.getMessage()]
    assert lines == [
        "the monitored val_loss is nan at epoch 1; check the held-out batches for NaN/inf (inputs, targets) or "
        "lower the learning rate"
    ]
    assert result.best_epoch is None


@pytest.mark.parametrize("field", ["checkpoint_dir", "log_dir"])
def test_an_output_folder_under_a_file_is_refused_before_training(tmp_path: Any, field: str) -> None:
    """``checkpoint_dir`` or ``log_dir`` under an existing file failed only when the first epoch's
    checkpoint or history was written, after that epoch's training. Now the Trainer refuses it when built,
    in one OutputError line naming the option and the path."""
    (tmp_path / "afile").write_text("x")
    folder = tmp_path / "afile" / "run"
    cfg = dataclasses.replace(CFG, **{field: str(folder)})
    with pytest.raises(OutputError, match=rf"^TrainConfig\.{field}='{folder}': .*afile is a file") as info:
        Trainer(mlp(), RegressionTask(), cfg)
    assert "\n" not in str(info.value)
    assert not folder.exists()


def test_a_negative_min_delta_is_refused_where_it_kept_a_worse_epoch() -> None:
    """``min_delta=-1`` made any value less than 1 worse than the best an improvement (0.6 beat 0.5 in "min"
    mode): restore_best kept a worse epoch and early stopping never came, without a word."""
    from carrousel.core.train import EarlyStopping

    with pytest.raises(
        ConfigError, match=r"^min_delta must be >= 0 \(the gain an improvement needs\), got -1\.0$"
    ):
        TrainConfig(min_delta=-1.0)
    with pytest.raises(ConfigError, match=r"^min_delta must be >= 0 .*, got -0\.1$"):
        EarlyStopping("val_loss", "min", 2, min_delta=-0.1)
    assert TrainConfig(min_delta=0.0).min_delta == 0.0


def test_a_step_size_below_one_is_refused_before_training() -> None:
    """``scheduler="step", step_size=0`` trained a whole epoch, then raised ZeroDivisionError in StepLR."""
    with pytest.raises(ConfigError, match=r"^step_size must be >= 1 \(epochs between decays\), got 0$"):
        TrainConfig(scheduler="step", step_size=0)


def test_a_config_that_is_no_train_config_is_one_line() -> None:
    """``Trainer(model, task, {"epochs": 1})`` was AttributeError: 'dict' object has no attribute 'checkpoint_dir'."""
    with pytest.raises(
        ConfigError, match=r"^config must be a TrainConfig, got a dict; pass TrainConfig\(\.\.\.\)$"
    ):
        Trainer(mlp(), RegressionTask(), {"epochs": 1})  # type: ignore[arg-type]


def test_fp16_on_the_cpu_is_refused_where_it_trained_as_bf16() -> None:
    """TrainConfig(precision="fp16") on the CPU trained under bf16 autocast without a word (the domain
    commands refuse it, predict(precision="fp16") too); the Trainer and find_lr now refuse it alike."""
    from carrousel.core.train import find_lr

    cfg = dataclasses.replace(CFG, precision="fp16")
    with pytest.raises(
        ConfigError, match=r"^precision='fp16' needs a CUDA or MPS device; on the CPU use precision='bf16'$"
    ):
        Trainer(mlp(), RegressionTask(), cfg)
    with pytest.raises(ConfigError, match=r"^precision='fp16' needs a CUDA or MPS device"):
        find_lr(mlp(), RegressionTask(), loader(), cfg, num_steps=5)
    Trainer(mlp(), RegressionTask(), dataclasses.replace(CFG, precision="bf16")).fit(loader())  # bf16 trains


def _refused_before_any_step(given: Any, got: str, fix: str) -> None:
    """``given`` as fit's train (the message ending with ``fix``) and val loader (unless None, the default),
    and as evaluate's and predict's loader: each one DataError matching ``got`` after the call's name, before
    any step."""
    trainer = Trainer(mlp(), RegressionTask(), CFG)
    with pytest.raises(DataError, match=rf"^Trainer\.fit\(train_loader=\.\.\.\){got}{fix}"):
        trainer.fit(given)
    assert trainer.step == 0 and trainer.history == []
    if given is not None:  # no validation loader: None is the default
        with pytest.raises(DataError, match=rf"^Trainer\.fit\(val_loader=\.\.\.\){got}"):
            trainer.fit(loader(), given)
        assert trainer.step == 0
    with pytest.raises(DataError, match=rf"^Trainer\.evaluate\(loader\){got}"):
        trainer.evaluate(given)
    with pytest.raises(DataError, match=rf"^Trainer\.predict\(loader\){got}"):
        trainer.predict(given)
    assert trainer.step == 0


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (None, "None"),
        (linear_data(8)[0], r"a Tensor of shape \(8, 8\)"),
        (linear_data(8)[0].numpy(), r"a ndarray of shape \(8, 8\)"),
        ("train.csv", "a str"),
        (3, "an int"),
        ({"x": linear_data(8)[0]}, "a dict"),
    ],
)
def test_fit_given_no_loader_is_one_data_error_before_any_work(given: Any, named: str) -> None:
    """``Trainer.fit(None)`` (a tensor, an array, a path, a dict of tensors) failed deep inside the loop:
    "'NoneType' object is not iterable", "both arguments to linear need to be at least 1D", "linear():
    argument 'input' must be Tensor, not str". Now one DataError naming what was given and what fit takes,
    before any step; the same for ``val_loader``, ``evaluate`` and ``predict``."""
    takes = r" takes an iterable of batches \(a DataLoader\), got "
    fix = r"; e\.g\. DataLoader\(TensorDataset\(x, y\), batch_size=32\), or a list of \(x, y\) batches$"
    _refused_before_any_step(given, takes + named, fix)


@pytest.mark.parametrize("pack", [list, tuple])
def test_fit_given_inputs_and_targets_as_two_tensors_names_the_fix(
    pack: type, caplog: pytest.LogCaptureFixture
) -> None:
    """``fit([x, y])``: each tensor was taken for one batch, a step ran on ``x`` and ``y`` failed with
    "mat1 and mat2 shapes cannot be multiplied (1x1 and 8x16)". Now a warning before training and one
    DataError naming the tensors given and the fix (the original error chained); a list of tensor batches
    for a task that takes one tensor still trains, without the warning."""
    x, y = linear_data(64)
    with (
        caplog.at_level("WARNING", logger="carrousel.core.train.loaders"),
        pytest.raises(
            DataError,
            match=rf"^Trainer\.fit got a {pack.__name__} of 2 tensors \(\(64, 8\), \(64, 1\)\) and took each "
            r"for one batch, and the first epoch failed \(RuntimeError: mat1 and mat2 .*\)\. To train on "
            r"inputs and targets pass batches: e\.g\. DataLoader\(TensorDataset\(x, y\), batch_size=32\)",
        ) as info,
    ):
        Trainer(mlp(), RegressionTask(), CFG).fit(pack([x, y]))
    assert "\n" not in str(info.value) and isinstance(info.value.__cause__, RuntimeError)
    warned = f"Trainer.fit(train_loader=...) got a {pack.__name__} of 2 tensors (64, 8), (64, 1)"
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [warned]

    class WholeBatch(RegressionTask):  # a batch is one (B, 9) tensor: 8 inputs and the target
        def forward(self, model: nn.Module, batch: Any) -> Tensor:
            return model(batch[:, :8])  # type: ignore[no-any-return]

        def loss(self, outputs: Tensor, batch: Any) -> Tensor:
            return nn.functional.mse_loss(outputs, batch[:, 8:])

    caplog.clear()
    with caplog.at_level("WARNING", logger="carrousel.core.train.loaders"):
        batches = list(torch.cat([x, y], dim=1).split(16))
        assert Trainer(mlp(), WholeBatch(), CFG).fit(batches).steps == 4
    assert caplog.records == []


def test_fit_given_a_map_style_dataset_is_one_data_error_naming_dataloader() -> None:
    """``fit(TensorDataset(x, y))`` trained one unbatched sample per step (the model saw ``(8,)``, not
    ``(B, 8)``: 64 steps an epoch, losses averaged per row). Now one DataError naming the Dataset and
    ``DataLoader(dataset, batch_size=32)``, before any step; for ``evaluate`` and ``predict`` too. An
    ``IterableDataset`` yielding batches still trains."""
    x, y = linear_data(64)
    got = r" takes an iterable of batches \(a DataLoader\), got a TensorDataset, a Dataset of single samples "
    fix = r"\(each would be one unbatched step\); e\.g\. DataLoader\(dataset, batch_size=32\)$"
    _refused_before_any_step(TensorDataset(x, y), got, fix)

    class Batches(torch.utils.data.IterableDataset[tuple[Tensor, Tensor]]):
        def __iter__(self) -> Any:
            return iter(zip(x.split(16), y.split(16), strict=True))

    assert Trainer(mlp(), RegressionTask(), CFG).fit(Batches()).steps == 4
