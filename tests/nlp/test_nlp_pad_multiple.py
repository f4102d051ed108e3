"""Padding a batch's time to a multiple (``SequenceCollator(pad_to_multiple=n)``) changes no sentiment or
translation output: the encoders take the lengths (exact to packing), pooling and attention are masked by
them, the embeddings' padding row gets no gradient, and the translation loss ignores padded targets (-100).
With dropout 0, per-sample outputs, the loss and a short training run's loss curve equal those of padding
to the longest: sentiment bit for bit (measured: its encoder trims to the longest length, the masked
softmax puts exact zeros on padding), translation to float round-off (measured 4.8e-7 in log-probs and
loss, 1.8e-7 relative in the curve: attention's matrix products and softmax sum over the wider source in
another blocking; the decoder is causal, so padded target steps come after the valid ones). With dropout,
the masks are drawn over the padded width, so the valid positions get other (equally distributed) masks:
a training run then differs as a run with another dropout stream does.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from carrousel.core.data import SequenceCollator
from carrousel.nlp.config import SentimentNetConfig, TranslateNetConfig
from carrousel.nlp.models import build_classifier
from carrousel.nlp.seq2seq import build_seq2seq
from carrousel.nlp.task import SentimentTask, TranslationTask, teacher_inputs

MULTIPLES = (8, 16)


def _texts(seed: int) -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(seed)
    return [(rng.integers(4, 40, rng.integers(1, 30)), int(rng.integers(0, 2))) for _ in range(12)]


def _pairs(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.integers(4, 40, rng.integers(1, 13)), rng.integers(4, 40, rng.integers(1, 11))) for _ in range(8)
    ]


def _curve(
    model: nn.Module, task: SentimentTask | TranslationTask, batches: list[tuple[torch.Tensor, ...]]
) -> list[float]:
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(3):
        for batch in batches:
            loss = task.loss(task.forward(model, batch), batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    return losses


def _sentiment() -> nn.Module:
    torch.manual_seed(0)
    net = SentimentNetConfig(embed_dim=16, hidden_size=12, dropout=0.0, embed_dropout=0.0)
    return build_classifier(net, 40, 2)


def test_sentiment_is_exact_under_extra_padding() -> None:
    task = SentimentTask(2)
    for multiple in MULTIPLES:
        batches = {n: [SequenceCollator(sequence_targets=False, pad_to_multiple=n)(_texts(s)) for s in (0, 1)]
                   for n in (1, multiple)}  # fmt: skip
        assert batches[multiple][0][0].shape[1] % multiple == 0
        model = _sentiment().eval()
        for a, b in zip(batches[1], batches[multiple], strict=True):
            torch.testing.assert_close(model(b[0], b[1]), model(a[0], a[1]), rtol=0, atol=1e-6)
        model = _sentiment().train()
        want = _curve(model, task, batches[1])
        got = _curve(_sentiment().train(), task, batches[multiple])
        np.testing.assert_allclose(got, want, rtol=1e-5)


def _translator() -> nn.Module:
    torch.manual_seed(0)
    net = TranslateNetConfig(embed_dim=16, hidden_size=16, dropout=0.0, pointer=True)
    return build_seq2seq(net, 40, 40)


def test_translation_is_exact_under_extra_source_and_target_padding() -> None:
    task = TranslationTask(bos=2)
    for multiple in MULTIPLES:
        batches = {
            n: [SequenceCollator(sequence_targets=True, pad_to_multiple=n, target_pad_to_multiple=n)(_pairs(s))
                for s in (0, 1)]
            for n in (1, multiple)
        }  # fmt: skip
        model = _translator().eval()
        for a, b in zip(batches[1], batches[multiple], strict=True):
            assert b[0].shape[1] % multiple == 0 and b[2].shape[1] % multiple == 0
            want = model(a[0], a[1], teacher_inputs(a[2], 2))
            got = model(b[0], b[1], teacher_inputs(b[2], 2))
            for i, n in enumerate(a[3].tolist()):  # every target position of every pair
                torch.testing.assert_close(got[i, :n], want[i, :n], rtol=0, atol=1e-5)
            torch.testing.assert_close(task.loss(got, b), task.loss(want, a), rtol=1e-6, atol=0)
        want_curve = _curve(_translator().train(), task, batches[1])
        got_curve = _curve(_translator().train(), task, batches[multiple])
        np.testing.assert_allclose(got_curve, want_curve, rtol=1e-5)
