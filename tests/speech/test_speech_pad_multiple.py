"""Padding a batch's time to a multiple (``SequenceCollator(pad_to_multiple=n)``) and the CTC model.

Evaluation packs the LSTM, so extra padding changes no log-prob and no loss: evaluation may pad to a
multiple. Training runs the BiLSTM over the padded batch without lengths (faster backward on CPU), so
its reverse direction starts at the padded end and extra padding changes every valid frame's output:
the training loader pads to the longest (multiple 1), as before.
"""

from __future__ import annotations

import torch

from carrousel.core.data import SequenceCollator
from carrousel.speech.models import CTCModel, CTCModelConfig
from carrousel.speech.task import CTCTask
from carrousel.speech.text import Alphabet

ALPHABET = Alphabet.from_texts(["one two three four five six seven eight nine"])


def _batch(multiple: int) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    samples = [
        (torch.randn(n, 20, generator=gen), torch.randint(1, ALPHABET.size, (m,), generator=gen))
        for n, m in ((61, 9), (50, 7), (37, 5))
    ]
    return SequenceCollator(sequence_targets=True, pad_to_multiple=multiple)(samples)


def _model() -> CTCModel:
    torch.manual_seed(0)
    config = CTCModelConfig(20, ALPHABET.size, hidden=16, layers=2, conv_channels=8, subsample=3, dropout=0.0)
    return CTCModel(config)


def _scores(model: CTCModel, multiple: int) -> tuple[list[torch.Tensor], torch.Tensor]:
    batch = _batch(multiple)
    log_probs, out_lengths = model(batch[0], batch[1])
    valid = [log_probs[b, : int(n)] for b, n in enumerate(out_lengths)]
    return valid, CTCTask(ALPHABET).loss((log_probs, out_lengths), batch)


def test_evaluation_is_exact_under_extra_padding() -> None:
    model = _model().eval()
    with torch.no_grad():
        want, loss = _scores(model, 1)
        for multiple in (8, 16, 32):
            got, padded_loss = _scores(model, multiple)
            assert _batch(multiple)[0].shape[1] == -(-61 // multiple) * multiple
            for a, b in zip(want, got, strict=True):  # packed LSTM: float round-off at most
                torch.testing.assert_close(b, a, rtol=0, atol=1e-5)
            torch.testing.assert_close(padded_loss, loss, rtol=1e-6, atol=0)


def test_training_forward_sees_extra_padding_so_the_train_loader_keeps_multiple_one() -> None:
    model = _model().train()  # dropout 0: deterministic
    want, _ = _scores(model, 1)
    got, _ = _scores(model, 16)
    gap = max(float((a - b).detach().abs().max()) for a, b in zip(want, got, strict=True))
    assert gap > 1e-4  # not round-off: the reverse LSTM ran over more padded frames before the valid ones
