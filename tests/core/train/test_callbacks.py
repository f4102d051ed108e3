"""Built-in callbacks: early-stopping state, TensorBoard scalars (through a stand-in writer)."""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp, timeless

from carrousel.core.errors import ConfigError
from carrousel.core.train import Callback, EarlyStopping, TensorBoardLogger, TrainConfig, Trainer


class _Stub:
    def __init__(self) -> None:
        self.should_stop = False


def test_early_stopping_counts_and_saves_state() -> None:
    es = EarlyStopping("val_f1", mode="max", patience=2, min_delta=0.01)
    stub: Any = _Stub()
    for epoch, value in enumerate([0.5, 0.6, 0.605, 0.61]):
        es.on_epoch_end(stub, epoch, {"val_f1": value})
    assert stub.should_stop and es.best == 0.6 and es.wait == 2
    clone = EarlyStopping("val_f1", mode="max", patience=2)
    clone.load_state_dict(es.state_dict())
    assert (clone.best, clone.wait) == (0.6, 2)
    with pytest.raises(ConfigError, match="val_f1"):
        es.on_epoch_end(stub, 5, {"val_loss": 1.0})


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (
            dict(patience=0),
            r"^patience must be >= 1 \(epochs without improvement before stopping\), got 0; e\.g\.",
        ),
        (dict(patience=-1), r"^patience must be >= 1 .*, got -1; e\.g\. patience=5$"),
        (
            dict(min_delta=float("nan")),
            r"^min_delta must be a finite number, got nan; e\.g\. min_delta=0\.0$",
        ),
    ],
)
def test_early_stopping_refuses_a_patience_below_one(kwargs: dict[str, Any], needle: str) -> None:
    """``EarlyStopping(patience=-1)`` was kept and stopped at the first epoch that did not improve (as
    ``patience=1``), where ``TrainConfig(patience=-1)`` is refused; a NaN ``min_delta`` never improved."""
    with pytest.raises(ConfigError, match=needle):
        EarlyStopping("val_loss", **kwargs)


def test_tensorboard_logger_writes_scalars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[tuple[str, float, int]] = []

    class FakeWriter:
        def __init__(self, log_dir: str) -> None:
            self.log_dir = log_dir

        def add_scalar(self, key: str, value: float, step: int) -> None:
            written.append((key, value, step))

        def flush(self) -> None: ...

        def close(self) -> None:
            written.append(("closed", 0.0, 0))

    fake = types.ModuleType("torch.utils.tensorboard")
    fake.SummaryWriter = FakeWriter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", fake)
    assert TensorBoardLogger.available()
    x, y = linear_data(64)
    cfg = TrainConfig(epochs=2, progress=False, device="cpu", log_dir=str(tmp_path))
    Trainer(mlp(), RegressionTask(), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=32))
    keys = {(k, step) for k, _, step in written}
    assert ("train_loss", 1) in keys and ("train_loss", 2) in keys and ("grad_norm", 2) in keys
    assert written[-1][0] == "closed"


def test_history_files_hold_no_non_finite_number(tmp_path: Path) -> None:
    import csv
    import json
    import math

    from carrousel.core.train.callbacks import HistoryLogger

    trainer = types.SimpleNamespace(history=[{"epoch": 1, "train_loss": 0.5, "grad_norm": math.nan},
                                             {"epoch": 2, "train_loss": math.inf, "grad_norm": 1.0}])  # fmt: skip
    HistoryLogger(tmp_path).on_epoch_end(trainer, 2, {})  # type: ignore[arg-type]
    doc = json.loads((tmp_path / "history.json").read_text())  # strict JSON: NaN would not parse back as null
    assert doc == [
        {"epoch": 1, "train_loss": 0.5, "grad_norm": None},
        {"epoch": 2, "train_loss": None, "grad_norm": 1.0},
    ]
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert rows[0]["grad_norm"] == "" and rows[1]["train_loss"] == "" and rows[0]["train_loss"] == "0.5"


def test_a_progress_bar_given_a_label_names_it_before_the_epoch(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``ProgressBar(label="member 2/3")``, given as a callback (one network of several): its bar reads
    ``member 2/3, epoch 1/2`` and its epoch log line ``member 2/3, epoch 1: ...``. Before: no label."""
    from carrousel.core.train import ProgressBar

    train = DataLoader(TensorDataset(*linear_data(64)), batch_size=16)
    cfg = TrainConfig(epochs=2, progress=False, device="cpu")
    with caplog.at_level("INFO", logger="carrousel"):
        Trainer(mlp(), RegressionTask(), cfg, callbacks=[ProgressBar(label="member 2/3")]).fit(train)
    err = capsys.readouterr().err
    assert "member 2/3, epoch 1/2" in err and "member 2/3, epoch 2/2" in err
    assert [r.getMessage().split(":")[0] for r in caplog.records if "epoch" in r.getMessage()][:2] == [
        "member 2/3, epoch 1",
        "member 2/3, epoch 2",
    ]


def test_the_trainer_given_a_progress_label_names_it_before_the_epoch_in_its_own_bar(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``Trainer(..., progress_label="member 2/3")`` with ``progress=True``: the Trainer's own bar reads
    ``member 2/3, epoch 1/2`` and its epoch log line ``member 2/3, epoch 1: ...`` (the text of the labelled
    ``ProgressBar`` callback above), and it is the only bar. Before: no such argument (finance turned the
    bar off and gave a labelled one as a callback)."""
    from carrousel.core.train import ProgressBar

    train = DataLoader(TensorDataset(*linear_data(64)), batch_size=16)
    cfg = TrainConfig(epochs=2, progress=True, device="cpu")
    with caplog.at_level("INFO", logger="carrousel"):
        trainer = Trainer(mlp(), RegressionTask(), cfg, progress_label="member 2/3")
        trainer.fit(train)
    err = capsys.readouterr().err
    assert "member 2/3, epoch 1/2" in err and "member 2/3, epoch 2/2" in err
    assert err.count("epoch 1/2") == err.count("member 2/3, epoch 1/2")
    assert [r.getMessage().split(":")[0] for r in caplog.records if "epoch" in r.getMessage()][:2] == [
        "member 2/3, epoch 1",
        "member 2/3, epoch 2",
    ]
    assert len([cb for cb in trainer.callbacks.callbacks if isinstance(cb, ProgressBar)]) == 1
    Trainer(mlp(), RegressionTask(), cfg).fit(train)  # no label: the plain bar, as before
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "member" not in err


@pytest.mark.parametrize("interval", [math.inf, None])
def test_the_progress_bar_rebuilds_its_figures_only_when_due(
    monkeypatch: pytest.MonkeyPatch, interval: float | None
) -> None:
    """With ``nonfinite="skip"`` the loss is read every step, and the bar rebuilt its figures (the rate, a
    dict, tqdm's postfix text) on every batch: 39 builds for 3 epochs of 13 batches on main. Now every
    ``refresh_every`` (10) batches (batches 0 and 10 of each epoch), for a newer loss at most every
    ``min_interval`` seconds, and once at each epoch's end to show its last loss: 9 with no time-based
    rebuild (``min_interval`` infinite), at most 39 with the default. The history is the one of a fit
    without a bar, bit for bit, and the loss shown last is the last epoch's ``train_loss``."""
    import tqdm.auto

    from carrousel.core.train import ProgressBar, set_seed

    builds: list[dict[str, Any]] = []

    class Counting(tqdm.auto.tqdm):  # type: ignore[misc]
        def set_postfix(self, ordered_dict: Any = None, refresh: bool = True, **kwargs: Any) -> None:
            builds.append(dict(ordered_dict))
            super().set_postfix(ordered_dict, refresh, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Counting)
    if interval is not None:
        monkeypatch.setattr(ProgressBar, "min_interval", interval, raising=False)
    x, y = linear_data(200)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 200, 16)]  # 13 batches
    histories = []
    for progress in (True, False):
        set_seed(0)
        cfg = TrainConfig(epochs=3, lr=1e-2, progress=progress, device="cpu", nonfinite="skip")
        trainer = Trainer(mlp(dropout=0.1), RegressionTask(), cfg)
        result = trainer.fit(batches)
        histories.append(timeless(result.history))
        if progress:
            bar = next(cb for cb in trainer.callbacks.callbacks if isinstance(cb, ProgressBar))
            assert bar.last_postfix["loss"] == f"{result.history[-1]['train_loss']:.4g}"
    fewest, most = (9, 9) if interval == math.inf else (9, 39)
    assert fewest <= len(builds) <= most, len(builds)
    assert histories[0] == histories[1]


@pytest.mark.parametrize("nonfinite", ["skip", "stop"])
def test_the_progress_bar_ends_each_epoch_on_its_newest_figures(
    monkeypatch: pytest.MonkeyPatch, nonfinite: str
) -> None:
    """Under a per-step schedule (onecycle) the bar's epoch-end refresh showed the learning rate of its
    last rebuild (batch 10 of 13, with rebuilds every 10 batches and none for time), not the epoch's last
    one; with ``nonfinite="stop"`` (no new loss read since) it was not refreshed at all. Now each epoch's
    last figures are what the bar shows at its end: the lr of its last batch and the epoch's loss."""
    import tqdm.auto

    from carrousel.core.train import Callback, ProgressBar

    shown: list[dict[str, str]] = []  # the figures on the bar when it closes, one per epoch
    last_lr: list[float] = []  # the lr of each epoch's last batch

    class Closing(tqdm.auto.tqdm):  # type: ignore[misc]
        def close(self) -> None:
            if not self.disable:  # the first close (tqdm's own later ones find it disabled)
                shown.append(dict(bar.last_postfix))
            super().close()

    class LastLr(Callback):
        def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
            if batch_idx == 12:
                last_lr.append(logs["lr"])

    monkeypatch.setattr(tqdm.auto, "tqdm", Closing)
    monkeypatch.setattr(ProgressBar, "min_interval", math.inf, raising=False)
    x, y = linear_data(200)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 200, 16)]  # 13 batches
    cfg = TrainConfig(
        epochs=2, lr=1e-2, progress=False, device="cpu", scheduler="onecycle", nonfinite=nonfinite
    )
    bar = ProgressBar()
    result = Trainer(mlp(), RegressionTask(), cfg, callbacks=[bar, LastLr()]).fit(batches)
    assert [row["lr"] for row in shown] == [f"{lr:.2e}" for lr in last_lr]
    assert len(set(last_lr)) == 2  # the schedule moved: the two epochs end on different rates
    assert [row["loss"] for row in shown] == [f"{h['train_loss']:.4g}" for h in result.history]


def test_an_early_stopping_callback_without_validation_follows_the_train_config(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``TrainConfig.monitor`` is resolved before any step when fit gets no validation loader (``val_loss``
    is ``train_loss``, any other ``val_`` key refused). An ``EarlyStopping`` given as a callback was not:
    ``EarlyStopping("val_loss")`` and ``EarlyStopping("val_f1")`` failed only after a whole epoch ("only
    ['epoch', 'train_loss', ...] are logged"). Now the callback resolves its key the same way."""
    train = DataLoader(TensorDataset(*linear_data(64)), batch_size=16)
    cfg = TrainConfig(epochs=3, progress=False, device="cpu")
    metric = Trainer(mlp(), RegressionTask(), cfg, callbacks=[EarlyStopping("val_f1", mode="max")])
    with pytest.raises(ConfigError) as caught:
        metric.fit(train)
    assert str(caught.value) == (
        "EarlyStopping monitor 'val_f1' needs a validation loader and fit got none (without one only "
        "train_loss is logged, no task metric); pass fit(val_loader=...) or set "
        "EarlyStopping(monitor='train_loss', mode='min')"
    )
    assert metric.step == 0 and metric.history == []  # before: a whole epoch trained first
    es = EarlyStopping("val_loss", patience=1)
    with caplog.at_level("INFO", logger="carrousel.core.train.callbacks"):
        result = Trainer(mlp(), RegressionTask(), cfg, callbacks=[es]).fit(train)
    assert len(result.history) >= 1 and es.best == min(h["train_loss"] for h in result.history)
    assert "no validation loader: EarlyStopping monitors train_loss, not val_loss" in caplog.messages
    val = DataLoader(TensorDataset(*linear_data(32, seed=2)), batch_size=16)
    Trainer(mlp(), RegressionTask(), cfg, callbacks=[es]).fit(train, val)  # the same callback, validated
    assert es.monitor == es.logged == "val_loss"


def test_an_early_stopping_callback_reused_in_a_new_fit_starts_anew_and_a_resume_keeps_its_state(
    tmp_path: Path,
) -> None:
    """An ``EarlyStopping`` given to a second, fresh fit kept the first fit's ``best`` and ``wait``: the new
    model's first epoch, worse than the old best, counted as no improvement and (patience 1) stopped the
    fit at once. A fresh fit now starts them anew; a resume still restores the checkpoint's."""
    train = DataLoader(TensorDataset(*linear_data(64)), batch_size=16)
    cfg = TrainConfig(epochs=3, progress=False, device="cpu", lr=0.05)
    es = EarlyStopping("train_loss", patience=1)
    Trainer(mlp(), RegressionTask(), cfg, callbacks=[es]).fit(train)
    es.best = -1.0  # as after a fit no new epoch can beat
    again = Trainer(mlp(seed=3), RegressionTask(), cfg, callbacks=[es]).fit(train)
    assert len(again.history) == 3 and es.best == min(h["train_loss"] for h in again.history)

    seen: list[tuple[float | None, int]] = []

    class Probe(Callback):
        def on_fit_start(self, trainer: Trainer) -> None:  # called after the early stopping's
            seen.append((resumed.best, resumed.wait))

    saving = TrainConfig(epochs=2, progress=False, device="cpu", checkpoint_dir=str(tmp_path))
    first = EarlyStopping("train_loss", patience=5)
    Trainer(mlp(), RegressionTask(), saving, callbacks=[first]).fit(train)
    resumed = EarlyStopping("train_loss", patience=5)
    more = TrainConfig(epochs=3, progress=False, device="cpu", checkpoint_dir=str(tmp_path))
    Trainer(mlp(), RegressionTask(), more, callbacks=[resumed, Probe()]).fit(train, resume="auto")
    assert seen == [(first.best, first.wait)] and first.best is not None
