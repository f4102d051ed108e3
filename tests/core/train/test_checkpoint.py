"""Checkpoints: atomic writes, rotation, best, safe loading, exact resume (in-process and after SIGKILL)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
import train_script
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import EchoTask, RegressionTask, StreamTagger, echo_streams, linear_data, mlp

from carrousel.core.errors import CheckpointError, FormatVersionError
from carrousel.core.train import (
    Callback,
    CheckpointManager,
    TrainConfig,
    Trainer,
    find_latest,
    load_checkpoint,
)
from carrousel.core.train.checkpoint import save_checkpoint
from tests.state_dicts import same_state

HERE = Path(__file__).parent


def test_rotation_keeps_last_n_and_best(tmp_path: Path) -> None:
    x, y = linear_data(64)
    cfg = TrainConfig(epochs=4, progress=False, device="cpu", checkpoint_dir=str(tmp_path), keep_last=2)
    result = Trainer(mlp(), RegressionTask(), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=16))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best.pt", "ckpt-0003-000000012.pt", "ckpt-0004-000000016.pt"]
    assert result.last_checkpoint == str(tmp_path / "ckpt-0004-000000016.pt")
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["best_epoch"] == result.best_epoch and best["epoch"] == result.best_epoch
    assert find_latest(tmp_path) == tmp_path / "ckpt-0004-000000016.pt"


def test_checkpoint_holds_everything_and_loads_without_pickle(tmp_path: Path) -> None:
    x, y = linear_data(64)
    cfg = TrainConfig(
        epochs=1, scheduler="onecycle", progress=False, device="cpu", checkpoint_dir=str(tmp_path)
    )
    Trainer(mlp(), RegressionTask(), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True))
    latest = find_latest(tmp_path)
    assert latest is not None
    state = torch.load(latest, weights_only=True)  # plain types and tensors only
    for key in ("model", "optimizer", "scheduler", "scaler", "epoch", "step", "rng", "sampler", "history"):
        assert key in state
    assert {"python", "numpy", "torch"} <= set(state["rng"])
    assert state["step"] == 4 and state["scheduler"]["last_epoch"] == 3  # last of 4 one-cycle points


def test_bad_checkpoints_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "junk.pt")
    save_checkpoint(tmp_path / "old.pt", {"x": 1})
    state = torch.load(tmp_path / "old.pt", weights_only=True)
    state["format_version"] = 99
    torch.save(state, tmp_path / "old.pt")
    with pytest.raises(FormatVersionError, match="format 99"):
        load_checkpoint(tmp_path / "old.pt")


@pytest.mark.parametrize("content", [b"not a checkpoint\n", b"", "half"], ids=["text", "empty", "truncated"])
def test_an_unreadable_checkpoint_is_one_line_without_torchs_advice(tmp_path: Path, content: object) -> None:
    """A text file given as ``resume``: the error quoted PyTorch's six-line message, which advises
    ``weights_only=False`` (running pickled code); now one line with the unpickler's reason."""
    good = save_checkpoint(tmp_path / "good.pt", {"weights": torch.zeros(500)}).read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(good[: len(good) // 2] if content == "half" else content)  # type: ignore[arg-type]
    trainer = Trainer(mlp(), RegressionTask(), TrainConfig(epochs=1, progress=False, device="cpu"))
    with pytest.raises(CheckpointError) as info:
        trainer.fit(DataLoader(TensorDataset(*linear_data(8)), batch_size=4), resume=bad)
    text = str(info.value)
    assert "\n" not in text and "weights_only" not in text, text
    assert text.startswith(f"checkpoint {bad} is damaged or not a trainer checkpoint (")
    assert text.endswith("); point to a ckpt-*.pt file written by the Trainer")


@pytest.mark.parametrize("resume", ["latest", "last", "gone.pt"])
def test_a_resume_that_names_nothing_names_auto(
    tmp_path: Path, resume: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fit(resume="latest")`` (the word a user guesses) said only "checkpoint latest not found"; the word
    for the latest checkpoint is "auto", and the error now says so."""
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(mlp(), RegressionTask(), TrainConfig(epochs=1, progress=False, device="cpu"))
    with pytest.raises(
        CheckpointError, match=r"or resume='auto' for the latest in TrainConfig\.checkpoint_dir$"
    ):
        trainer.fit(DataLoader(TensorDataset(*linear_data(8)), batch_size=4), resume=resume)


@pytest.mark.parametrize("resume", [True, False, 3])
def test_a_resume_that_is_no_path_is_one_checkpoint_error(resume: object) -> None:
    """``fit(resume=True)`` (the latest, in other trainers) was ``TypeError: expected str, bytes or
    os.PathLike object, not bool`` from pathlib; it names the accepted values and 'auto'."""
    trainer = Trainer(mlp(), RegressionTask(), TrainConfig(epochs=1, progress=False, device="cpu"))
    with pytest.raises(CheckpointError, match=r"got .* resume='auto' for the latest in TrainConfig"):
        trainer.fit(DataLoader(TensorDataset(*linear_data(8)), batch_size=4), resume=resume)  # type: ignore[arg-type]


def test_resume_into_another_model_is_one_checkpoint_error(tmp_path: Path) -> None:
    """A checkpoint of another architecture was a multi-line RuntimeError from load_state_dict."""
    x, y = linear_data(32)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    cfg = TrainConfig(epochs=1, progress=False, device="cpu", checkpoint_dir=str(tmp_path))
    Trainer(mlp(), RegressionTask(), cfg).fit(loader)
    other = torch.nn.Sequential(torch.nn.Linear(8, 3), torch.nn.Linear(3, 1))
    with pytest.raises(CheckpointError, match="does not fit this model") as info:
        Trainer(other, RegressionTask(), cfg).fit(loader, resume="auto")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("was", "now"), [("adamw", "sgd"), ("adamw", "adam"), ("sgd", "adamw")])
def test_resume_with_another_optimizer_is_one_checkpoint_error(tmp_path: Path, was: str, now: str) -> None:
    """The optimiser's state was loaded into another optimiser: SGD after AdamW raised KeyError 'momentum'
    inside torch at the first step, and Adam after AdamW took AdamW's param groups (decoupled weight decay)
    and silently trained as AdamW."""
    x, y = linear_data(32)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    cfg = TrainConfig(epochs=1, progress=False, device="cpu", checkpoint_dir=str(tmp_path), optimizer=was)
    Trainer(mlp(), RegressionTask(), cfg).fit(loader)
    again = dataclasses.replace(cfg, epochs=2, optimizer=now)
    with pytest.raises(CheckpointError, match=rf"written with optimizer='{was}', this trainer's is '{now}'"):
        Trainer(mlp(), RegressionTask(), again).fit(loader, resume="auto")


def test_resume_says_a_changed_learning_rate_is_not_applied(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A resume keeps the checkpoint's optimiser state, its learning rate included (exact continuation):
    a new ``lr`` in the TrainConfig was dropped without a word; it is now logged, and the run unchanged."""
    x, y = linear_data(32)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    cfg = TrainConfig(epochs=1, progress=False, device="cpu", checkpoint_dir=str(tmp_path), lr=0.005)
    Trainer(mlp(), RegressionTask(), cfg).fit(loader)
    with caplog.at_level("WARNING", logger="carrousel"):
        result = Trainer(mlp(), RegressionTask(), dataclasses.replace(cfg, epochs=2, lr=0.1)).fit(
            loader, resume="auto"
        )
    assert result.history[-1]["lr"] == 0.005
    assert "written with lr=0.005 (TrainConfig now: 0.1)" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="carrousel"):  # the latest checkpoint's settings: nothing to say
        Trainer(mlp(), RegressionTask(), dataclasses.replace(cfg, epochs=3, lr=0.1)).fit(
            loader, resume="auto"
        )
    assert "resuming continues" not in caplog.text
    caplog.clear()
    with caplog.at_level(
        "WARNING", logger="carrousel"
    ):  # momentum is SGD's: AdamW ignores it, nothing to say
        again = dataclasses.replace(cfg, epochs=4, lr=0.1, momentum=0.5)
        Trainer(mlp(), RegressionTask(), again).fit(loader, resume="auto")
    assert "resuming continues" not in caplog.text


class _InterruptError(Exception):
    pass


class InterruptAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        if trainer.step == self.step:
            raise _InterruptError


@pytest.mark.parametrize("every", [5, 7, 13])
def test_resume_mid_epoch_reaches_identical_weights(tmp_path: Path, every: int) -> None:
    """Generic shuffled DataLoader, dropout, one-cycle schedule, accumulation: a run interrupted two steps
    after a checkpoint (mid-epoch or just after an epoch end) resumes to bit-identical final weights."""
    x, y = linear_data(200)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)  # 13 batches: 7 steps per epoch
    cfg = TrainConfig(epochs=3, lr=1e-2, scheduler="onecycle", accumulate=2, progress=False, device="cpu")
    reference = mlp(dropout=0.3)
    Trainer(reference, RegressionTask(), cfg).fit(loader, loader)
    ckpt = dataclasses.replace(cfg, checkpoint_dir=str(tmp_path), checkpoint_every=every)
    with pytest.raises(_InterruptError):
        Trainer(mlp(dropout=0.3), RegressionTask(), ckpt, callbacks=[InterruptAt(every + 2)]).fit(
            loader, loader
        )
    latest = find_latest(tmp_path)
    assert latest is not None and every <= load_checkpoint(latest)["step"] <= every + 2
    resumed = mlp(dropout=0.3)
    result = Trainer(resumed, RegressionTask(), ckpt).fit(loader, loader, resume="auto")
    assert len(result.history) == 3
    assert same_state(reference.state_dict(), resumed.state_dict())


@pytest.mark.parametrize("every", [5, 7])
def test_resume_with_a_seeded_loader_generator_reaches_identical_weights(tmp_path: Path, every: int) -> None:
    """``DataLoader(generator=torch.Generator().manual_seed(0))``, rebuilt fresh in the resuming process:
    the loader's own generator is saved and put back, so every epoch sees the uninterrupted run's order
    (before, epochs after a resume replayed the first epoch's order and the weights differed)."""
    x, y = linear_data(200)

    def loader() -> DataLoader[tuple[torch.Tensor, ...]]:
        generator = torch.Generator().manual_seed(0)
        return DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=generator)

    cfg = TrainConfig(epochs=3, lr=1e-2, accumulate=2, progress=False, device="cpu")
    reference = mlp(dropout=0.3)
    Trainer(reference, RegressionTask(), cfg).fit(loader(), loader())
    ckpt = dataclasses.replace(cfg, checkpoint_dir=str(tmp_path), checkpoint_every=every)
    with pytest.raises(_InterruptError):
        Trainer(mlp(dropout=0.3), RegressionTask(), ckpt, callbacks=[InterruptAt(every + 2)]).fit(
            loader(), loader()
        )
    resumed = mlp(dropout=0.3)
    Trainer(resumed, RegressionTask(), ckpt).fit(loader(), loader(), resume="auto")
    assert same_state(reference.state_dict(), resumed.state_dict())


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    reference = train_script.main([str(tmp_path / "ref")])
    ckpt = tmp_path / "ckpt"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "train_script.py"),
            str(tmp_path / "killed"),
            "--ckpt",
            str(ckpt),
            "--every",
            "7",
            "--hang-at",
            "40",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    marker = tmp_path / "killed" / "hanging"
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "training subprocess never reached step 40"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    latest = find_latest(ckpt)
    assert latest is not None and latest.name == "ckpt-0001-000000035.pt"  # mid-epoch 2 (30 batches/epoch)
    resumed = train_script.main([str(tmp_path / "resumed"), "--ckpt", str(ckpt), "--every", "7", "--resume"])
    assert same_state(reference, resumed)


def test_sigkill_during_write_leaves_previous_checkpoint(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import os, signal, torch
        from carrousel.core.train import checkpoint as ck
        ck.save_checkpoint({str(tmp_path / "c.pt")!r}, {{"value": torch.tensor([1.0])}})
        def dying_save(obj, f):
            with open(f, "wb") as fh:
                fh.write(b"half a checkpoint")
                fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        ck.torch.save = dying_save
        ck.save_checkpoint({str(tmp_path / "c.pt")!r}, {{"value": torch.tensor([2.0])}})
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert float(load_checkpoint(tmp_path / "c.pt")["value"]) == 1.0  # the old checkpoint, intact
    stale = list(tmp_path.glob(".c.pt.*.tmp"))
    assert len(stale) == 1
    CheckpointManager(tmp_path)  # a new run cleans the temp file of the killed writer
    assert not list(tmp_path.glob(".*.tmp"))


def test_resume_with_carried_stream_state(tmp_path: Path) -> None:
    """tbptt_carry: the state flowing between batches is saved mid-epoch and restored on resume."""
    stream = echo_streams(8, 24 * 4, delay=3, seed=5)
    segments = [{k: v[:, s : s + 4] for k, v in stream.items()} for s in range(0, 24 * 4, 4)]
    cfg = TrainConfig(epochs=2, lr=2e-2, tbptt_steps=4, tbptt_carry=True, progress=False, device="cpu")
    torch.manual_seed(0)
    reference = StreamTagger(8)
    Trainer(reference, EchoTask(), cfg).fit(segments)
    ckpt = dataclasses.replace(cfg, checkpoint_dir=str(tmp_path), checkpoint_every=10)
    torch.manual_seed(0)
    with pytest.raises(_InterruptError):
        Trainer(StreamTagger(8), EchoTask(), ckpt, callbacks=[InterruptAt(13)]).fit(segments)
    assert load_checkpoint(find_latest(tmp_path) or tmp_path)["stream_state"] is not None
    torch.manual_seed(0)
    resumed = StreamTagger(8)
    Trainer(resumed, EchoTask(), ckpt).fit(segments, resume="auto")
    assert same_state(reference.state_dict(), resumed.state_dict())
