"""Padding a batch's time to a multiple (``SequenceCollator(pad_to_multiple=n)``) and the CTC model.

The encoder gets the lengths in evaluation and in training, so extra padding changes no valid frame's
log-prob and no loss in either mode: each utterance is scored as if it were alone. (Training used to run
the BiLSTM over the padded batch without lengths, so its reverse direction started on padding and extra
padding moved every valid frame's log-probs by about 0.02.) The training loader still pads to the longest
(multiple 1): padded frames cost compute every step (speech README).
"""

from __future__ import annotations

import torch

from carrousel.core.data import SequenceCollator
from carrousel.core.nn import explain_backend
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


def test_training_forward_is_exact_under_extra_padding() -> None:
    model = _model().train()  # dropout 0: deterministic
    want, loss = _scores(model, 1)
    for multiple in (8, 16, 32):
        got, padded_loss = _scores(model, multiple)
        for a, b in zip(want, got, strict=True):  # was off by about 0.02 without lengths in training
            torch.testing.assert_close(b, a, rtol=0, atol=1e-5)
        torch.testing.assert_close(padded_loss, loss, rtol=1e-6, atol=0)


def test_training_encoder_runs_the_fused_padded_path_not_packing() -> None:
    model = _model().train()
    x, lengths = _batch(16)[:2]
    out_lengths = model.output_lengths(lengths)
    h = torch.zeros(
        x.shape[0], int(model.output_lengths(torch.tensor(x.shape[1]))), model.norm.normalized_shape[0]
    )
    report = explain_backend(model.encoder, h, out_lengths, grad=True)
    assert report.packed  # unequal lengths reach the encoder
    assert [layer.varlen for layer in report.layers] == ["padded"], str(report)  # fused kernel, not packing
