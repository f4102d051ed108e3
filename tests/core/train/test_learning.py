"""Evidence that the trainer teaches recurrent nets real sequence tasks, TBPTT state carry included."""

from __future__ import annotations

import dataclasses

import torch
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import (
    ClassificationTask,
    DictDataset,
    EchoTask,
    SequenceClassifier,
    StreamTagger,
    echo_accuracy,
    echo_streams,
    temporal_order,
)

from carrousel.core.train import BucketBatchSampler, TrainConfig, Trainer


def test_lstm_learns_temporal_order_above_95_percent() -> None:
    """Temporal-order problem, lengths 15..30, 4 classes (chance 25%): held-out accuracy must pass 95%."""
    x, lengths, y = temporal_order(2000, 15, 30, seed=0)
    xt, lt, yt = temporal_order(500, 15, 30, seed=1)
    train = DataLoader(
        DictDataset(x=x, lengths=lengths, y=y), batch_sampler=BucketBatchSampler(lengths, 32, seed=0)
    )
    test = DataLoader(DictDataset(x=xt, lengths=lt, y=yt), batch_size=250)
    torch.manual_seed(0)
    model = SequenceClassifier(6, 24, 4)
    cfg = TrainConfig(epochs=4, lr=1e-2, progress=False, device="cpu", monitor="val_accuracy", mode="max")
    trainer = Trainer(model, ClassificationTask(), cfg)
    result = trainer.fit(train, test)
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < 0.1 * losses[0]
    scores = trainer.evaluate(test)
    assert scores["accuracy"] > 0.95, scores
    pred = torch.cat(trainer.predict(test)).argmax(-1)  # predict agrees with the metric
    assert float((pred == yt).float().mean()) == scores["accuracy"]


def _echo(task: EchoTask, cfg: TrainConfig, batches: list[dict[str, torch.Tensor]]) -> float:
    torch.manual_seed(0)
    model = StreamTagger(16)
    trainer = Trainer(model, task, cfg)
    trainer.fit(batches)
    test = [echo_streams(64, 48, delay=3, seed=99)]
    logits = trainer.predict(test)[0]
    assert logits.shape == (64, 48, 2)  # chunk outputs joined back along time
    return echo_accuracy(logits, test[0])


def test_tbptt_carries_state_across_chunks_per_sample() -> None:
    """Echo with delay 3 in chunks of 4 steps: 3 of 4 targets sit in the previous chunk. Carrying the
    state solves it; resetting it per chunk caps accuracy at (1 + 3 * 0.5) / 4 = 62.5%."""
    batches = [echo_streams(32, 48, delay=3, seed=s) for s in range(8)]
    cfg = TrainConfig(epochs=6, lr=2e-2, tbptt_steps=4, progress=False, device="cpu")
    carried = _echo(EchoTask(carry=True), cfg, batches)
    reset = _echo(EchoTask(carry=False), cfg, batches)
    assert carried > 0.97, carried
    assert reset < 0.70, reset


def test_tbptt_carry_across_batches_for_streams() -> None:
    """A loader that cuts long streams into consecutive 4-step batches: with tbptt_carry the state flows
    from batch to batch, so the delayed targets at each batch start are still learnable."""
    stream = echo_streams(32, 8 * 48, delay=3, seed=5)
    segments = [{k: v[:, s : s + 4] for k, v in stream.items()} for s in range(0, 8 * 48, 4)]
    cfg = TrainConfig(epochs=2, lr=2e-2, tbptt_steps=4, tbptt_carry=True, progress=False, device="cpu")
    torch.manual_seed(0)
    model = StreamTagger(16)
    trainer = Trainer(model, EchoTask(carry=True), cfg)
    trainer.fit(segments)
    test = echo_streams(16, 64, delay=3, seed=98)
    test_segments = [{k: v[:, s : s + 4] for k, v in test.items()} for s in range(0, 64, 4)]
    logits = torch.cat(trainer.predict(test_segments), dim=1)
    assert echo_accuracy(logits, test) > 0.97
    assert trainer.evaluate(test_segments)["loss"] < 0.1
    no_carry = Trainer(model, EchoTask(carry=True), dataclasses.replace(cfg, tbptt_carry=False))
    logits = torch.cat(no_carry.predict(test_segments), dim=1)  # same weights, state reset per batch
    assert echo_accuracy(logits, test) < 0.8


def test_plain_tensor_tuples_work_with_tbptt_split() -> None:
    x = torch.randn(4, 10, 3)
    y = torch.randint(0, 2, (4,))
    chunks = EchoTask().split((x, y), 4)
    assert [c[0].shape[1] for c in chunks] == [4, 4, 2]
    assert all(torch.equal(c[1], y) for c in chunks)  # 1-D tensors go whole to every chunk
    d = EchoTask().split({"x": x, "lengths": torch.tensor([10, 6, 3, 9])}, 4)
    assert [c["lengths"].tolist() for c in d] == [[4, 4, 3, 4], [4, 2, 0, 4], [2, 0, 0, 1]]
    _ = TensorDataset  # plain tuples of tensors are the DataLoader default


def test_tbptt_split_clips_the_lengths_field_of_a_namedtuple_batch() -> None:
    """A namedtuple batch's ``lengths`` went whole to every chunk (only dict entries were clipped), so the
    encoder refused the first chunk: lengths 10 in a chunk of 4 steps."""
    from typing import NamedTuple

    class Batch(NamedTuple):
        x: torch.Tensor
        lengths: torch.Tensor

    chunks = EchoTask().split(Batch(torch.randn(4, 10, 3), torch.tensor([10, 6, 3, 9])), 4)
    assert all(isinstance(c, Batch) for c in chunks)
    assert [c.lengths.tolist() for c in chunks] == [[4, 4, 3, 4], [4, 2, 0, 4], [2, 0, 0, 1]]
