"""The trainer's task: CTC loss with guards, and the character error rate on validation batches.

Batches are ``(features (B, T, F), lengths (B,), targets (B, S), target_lengths (B,))`` from
:class:`carrousel.core.data.SequenceCollator`. CTC needs at least one output frame per target
character plus one blank between equal neighbours; an utterance with fewer is an error whose message
says so (the data loaders drop such utterances beforehand, with a count in the log). A loss that is
still infinite (no path of non-zero probability) is left out of the batch mean and counted; a batch
where every loss is infinite is an error.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

import jiwer
import torch
from torch import Tensor, nn

from carrousel.core.metrics import Metric
from carrousel.core.option_names import option
from carrousel.core.train import Task
from carrousel.speech.errors import CTCLossError
from carrousel.speech.text import Alphabet

__all__ = ["CTCTask", "CharErrorRate", "check_ctc_lengths", "ctc_frames_needed"]

logger = logging.getLogger(__name__)


def ctc_frames_needed(target: Sequence[int]) -> int:
    """Fewest output frames CTC needs for ``target``: one per label plus one per repeated neighbour."""
    return len(target) + sum(1 for a, b in itertools.pairwise(target) if a == b)


def check_ctc_lengths(out_lengths: Tensor, targets: Tensor, target_lengths: Tensor) -> None:
    """Raises :class:`CTCLossError` when an input is too short for its target (names the first one).

    The frames needed are counted over the whole batch at once, where ``targets`` lie (one host-device
    synchronisation per batch on a GPU, not two per utterance); the error path alone reads values back.

    Args:
        out_lengths: ``(B,)`` output frames per utterance.
        targets: ``(B, S)`` label indices (padding past ``target_lengths`` is not read).
        target_lengths: ``(B,)`` labels per utterance.
    """
    lengths = target_lengths.clamp_max(targets.shape[1])  # the labels there are
    repeats = targets[:, 1:] == targets[:, :-1]  # (B, S - 1): label j + 1 repeats label j
    inside = torch.arange(targets.shape[1], device=targets.device)[1:] < lengths[:, None]  # S = 0 too
    need = lengths + (repeats & inside).sum(dim=1)  # ctc_frames_needed of every utterance
    short = out_lengths.to(need.device) < need
    if not bool(short.any()):
        return
    b = int(short.nonzero()[0, 0])
    have, chars, frames = int(out_lengths[b]), int(lengths[b]), int(need[b])
    raise CTCLossError(
        f"utterance {b} of the batch has {have} output frames for {chars} target characters "
        f"(CTC needs {frames}); the audio is too short for its transcript or the model subsamples too "
        f"much (lower {option('subsample')}), or the transcript belongs to another recording"
    )


class CharErrorRate(Metric):
    """Character edits over reference characters, accumulated over batches (lower is better)."""

    higher_is_better = False

    def update(self, preds: Tensor, target: Tensor) -> None:
        """Adds ``preds`` = character edits and ``target`` = reference characters (scalars or ``(B,)``)."""
        self.add("edits", preds.sum().reshape(1))
        self.add("chars", target.sum().reshape(1))

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        chars = float(self.need(sums, "chars", "cer").sum())
        return float(sums["edits"].sum()) / max(chars, 1.0)


class CTCTask(Task):
    """CTC training of :class:`carrousel.speech.models.CTCModel` over an alphabet.

    Args:
        alphabet: the output classes (class 0 is the blank).
    """

    def __init__(self, alphabet: Alphabet) -> None:
        self.alphabet = alphabet
        self.infinite = 0  # utterances whose loss was infinite and left out

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> tuple[Tensor, Tensor]:
        """``(log_probs (B, T', C), out_lengths (B,))``."""
        x, lengths = batch[0], batch[1]
        return model(x, lengths)  # type: ignore[no-any-return]

    def loss(self, outputs: tuple[Tensor, Tensor], batch: Any) -> Tensor:
        """Mean over utterances of the CTC loss per target character.

        Raises:
            CTCLossError: an input shorter than its target, or every loss of the batch infinite.
        """
        log_probs, out_lengths = outputs
        targets, target_lengths = batch[2].clamp_min(0), batch[3]
        out_lengths = out_lengths.to(log_probs.device)
        check_ctc_lengths(out_lengths, targets, target_lengths)
        losses = nn.functional.ctc_loss(
            log_probs.transpose(0, 1).float(),
            targets,
            out_lengths,
            target_lengths,
            blank=self.alphabet.blank,
            reduction="none",
            zero_infinity=False,
        )
        finite = torch.isfinite(losses)
        if not bool(finite.all()):
            bad = int((~finite).sum())
            self.infinite += bad
            if not bool(finite.any()):
                raise CTCLossError(
                    f"the CTC loss is infinite for all {bad} utterances of a batch (no alignment has non-zero "
                    "probability); check that the transcripts match the audio and lower the learning rate"
                )
            logger.warning("left %d utterance(s) with an infinite CTC loss out of the batch", bad)
            losses, target_lengths = losses[finite], target_lengths[finite]  # a boolean index: a sync
        per_char = losses / target_lengths.clamp_min(1).to(losses.dtype)
        return per_char.mean()

    def metrics(self) -> dict[str, Metric]:
        """``cer`` on greedy decodes of the validation batches."""
        return {"cer": CharErrorRate()}

    def update_metrics(self, metrics: dict[str, Metric], outputs: Any, batch: Any) -> None:
        """Greedy-decodes each utterance and adds its character edits.

        The batch's best paths, output lengths, targets and target lengths are read to the CPU once each
        (a constant number of host-device synchronisations per batch on a GPU), then decoded there.
        """
        log_probs, out_lengths = outputs
        best, frames, targets, chars = (
            t.cpu().tolist() for t in (log_probs.argmax(dim=-1), out_lengths, batch[2], batch[3])
        )
        refs, hyps = [], []
        for row, n, target, m in zip(best, frames, targets, chars, strict=True):
            path = row[:n]
            labels = [p for i, p in enumerate(path) if p != 0 and (i == 0 or p != path[i - 1])]
            hyps.append(self.alphabet.decode(labels))
            refs.append(self.alphabet.decode(target[:m]))
        out = jiwer.process_characters(refs, hyps)
        edits = out.substitutions + out.deletions + out.insertions
        metrics["cer"].update(torch.tensor(float(edits)), torch.tensor(float(sum(len(r) for r in refs))))
