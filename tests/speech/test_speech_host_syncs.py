"""CTCTask's per-batch host reads: a validation batch's greedy decode and a training batch's CTC length check
cost a constant number of host-device synchronisations on a GPU, not two per utterance as on main (where
``update_metrics`` read each utterance's target and length, and ``check_ctc_lengths`` each target and
length, one at a time). Counted on the CPU with tensors marked as on the device (tests/host_reads.py); the
figures are the same as main's to the bit."""

from __future__ import annotations

import math

import jiwer
import pytest
import torch
from torch import Tensor

from carrousel.speech.errors import CTCLossError
from carrousel.speech.task import CTCTask, check_ctc_lengths, ctc_frames_needed
from carrousel.speech.text import ENGLISH
from tests.host_reads import host_reads, on_device


def _batch(size: int, seed: int) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor, Tensor, Tensor]]:
    """Outputs and a padded batch of ``size`` utterances: repeated labels, padding -1, an empty output."""
    g = torch.Generator().manual_seed(seed)
    frames = 14
    log_probs = torch.randn(size, frames, ENGLISH.size, generator=g)
    log_probs[:, :, 0] += 1.0  # blanks often win, as in a real model
    log_probs = log_probs.log_softmax(-1)
    out_lengths = torch.randint(0, frames + 1, (size,), generator=g)
    target_lengths = torch.randint(1, 7, (size,), generator=g)
    targets = torch.randint(1, 4, (size, 6), generator=g)  # few symbols: many repeated neighbours
    targets[torch.arange(6)[None, :] >= target_lengths[:, None]] = -1
    return (log_probs, out_lengths), (torch.zeros(size, frames, 3), out_lengths, targets, target_lengths)


def _main_cer_state(outputs: tuple[Tensor, Tensor], batch: tuple[Tensor, ...]) -> tuple[float, float]:
    """Main's update_metrics, per utterance: (edits, reference characters)."""
    log_probs, out_lengths = outputs
    best = log_probs.argmax(dim=-1).cpu()
    refs, hyps = [], []
    for b in range(best.shape[0]):
        path = best[b, : int(out_lengths[b])].tolist()
        labels = [p for i, p in enumerate(path) if p != 0 and (i == 0 or p != path[i - 1])]
        hyps.append(ENGLISH.decode(labels))
        refs.append(ENGLISH.decode(batch[2][b, : int(batch[3][b])].tolist()))
    out = jiwer.process_characters(refs, hyps)
    return float(out.substitutions + out.deletions + out.insertions), float(sum(len(r) for r in refs))


def _marked(outputs: tuple[Tensor, Tensor], batch: tuple[Tensor, ...]) -> tuple[tuple[Tensor, Tensor], tuple]:
    """The trainer's view on a GPU: batch and log-probabilities on the device, output lengths on the CPU
    (CTCModel computes them there)."""
    return (on_device(outputs[0]), outputs[1]), tuple(on_device(t) for t in batch)


@pytest.mark.parametrize("seed", range(4))
def test_validation_metrics_equal_mains(seed: int) -> None:
    task = CTCTask(ENGLISH)
    metrics, edits, chars = task.metrics(), 0.0, 0.0
    for i in range(3):
        outputs, batch = _batch(5 + i, seed * 10 + i)
        task.update_metrics(metrics, outputs, batch)
        e, c = _main_cer_state(outputs, batch)
        edits, chars = edits + e, chars + c
    sums = metrics["cer"]._sums
    assert float(sums["edits"].sum()) == edits and float(sums["chars"].sum()) == chars
    assert metrics["cer"].compute() == edits / max(chars, 1.0)


def test_a_validation_batch_reads_the_device_a_constant_number_of_times() -> None:
    """Main read 1 + 2 per utterance (7 for 3 utterances, 25 for 12)."""
    counts = []
    for size in (3, 12):
        task = CTCTask(ENGLISH)
        outputs, batch = _marked(*_batch(size, size))
        metrics = task.metrics()
        with host_reads() as reads:
            task.update_metrics(metrics, outputs, batch)
        counts.append(len(reads))
    assert counts[0] == counts[1] <= 3, counts  # the best paths, targets and target lengths


def _main_check(out_lengths: Tensor, targets: Tensor, target_lengths: Tensor) -> str | None:
    """Main's check_ctc_lengths, per utterance: its message, or None."""
    for b in range(int(targets.shape[0])):
        target = targets[b, : int(target_lengths[b])].tolist()
        need, have = ctc_frames_needed(target), int(out_lengths[b])
        if have < need:
            return f"utterance {b} of the batch has {have} output frames for {len(target)} target characters"
    return None


@pytest.mark.parametrize("seed", range(30))
def test_the_ctc_length_check_finds_mains_utterance(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    size = 1 + seed % 5
    target_lengths = torch.randint(0, 8, (size,), generator=g)
    targets = torch.randint(1, 3, (size, 7), generator=g).clamp_min(0)
    out_lengths = target_lengths + torch.randint(-1, 4, (size,), generator=g)
    want = _main_check(out_lengths, targets, target_lengths)
    if want is None:
        check_ctc_lengths(out_lengths, targets, target_lengths)
        return
    with pytest.raises(CTCLossError) as info:
        check_ctc_lengths(out_lengths, targets, target_lengths)
    assert str(info.value).startswith(want + " (CTC needs ")


def _main_loss(outputs: tuple[Tensor, Tensor], batch: tuple[Tensor, ...]) -> Tensor:
    """Main's CTCTask.loss after its guards."""
    log_probs, out_lengths = outputs
    targets, target_lengths = batch[2].clamp_min(0), batch[3]
    losses = torch.nn.functional.ctc_loss(
        log_probs.transpose(0, 1).float(), targets, out_lengths, target_lengths, reduction="none"
    )
    finite = torch.isfinite(losses)
    return (losses[finite] / target_lengths[finite].clamp_min(1).to(losses.dtype)).mean()


@pytest.mark.parametrize("width", [0, 1, 2])
def test_the_ctc_length_check_takes_short_and_empty_targets(width: int) -> None:
    """A batch of empty transcripts has targets of width 0 (test_speech_no_speech trains on such)."""
    targets = torch.ones(2, width, dtype=torch.long)
    lengths = torch.tensor([0, width])
    check_ctc_lengths(torch.tensor([0, 2 * width]), targets, lengths)
    if width:
        with pytest.raises(CTCLossError, match=f"utterance 1 of the batch has {width - 1} output frames"):
            check_ctc_lengths(torch.tensor([0, width - 1]), targets, lengths)


@pytest.mark.parametrize("infinite", [False, True])
def test_a_training_loss_reads_the_device_a_constant_number_of_times(infinite: bool) -> None:
    """Main's length check read 2 per utterance; the loss now reads the length check's verdict and the
    finite check (and, with an infinite loss left out, the two counts and the two boolean indexes that
    only such a batch needs). The loss and its gradient are main's to the bit."""
    counts = []
    for size in (3, 12):
        (log_probs, out_lengths), batch = _batch(size, size)
        out_lengths = torch.maximum(out_lengths, 2 * batch[3] + 1)  # every utterance long enough
        if infinite:  # utterance 1 only ever says blank: no path to its target
            log_probs[1] = torch.full_like(log_probs[1], -math.inf).index_fill(-1, torch.tensor([0]), 0.0)
        grads = []
        for loss_of in (_main_loss, None):
            lp = log_probs.clone().requires_grad_(True)
            if loss_of is None:
                outputs, marked = _marked((lp, out_lengths), batch)
                task = CTCTask(ENGLISH)
                with host_reads() as reads:
                    loss = task.loss(outputs, marked)
                counts.append(len(reads))
                assert task.infinite == int(infinite)
                loss = loss.as_subclass(Tensor)
            else:
                loss = want = loss_of((lp, out_lengths), batch)
            loss.backward()
            grads.append(lp.grad)
        assert torch.isfinite(want) and torch.equal(loss, want)
        torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0, equal_nan=True)
    assert counts[0] == counts[1] <= (6 if infinite else 2), counts
