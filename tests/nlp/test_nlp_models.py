"""The networks: padding never reaches a prediction, attention is zero on padding, embeddings are tied."""

from __future__ import annotations

import pytest
import torch

from carrousel.nlp.config import LMNetConfig, SentimentNetConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.models import build_classifier, build_language_model


@pytest.mark.parametrize("pooling", ["attention", "mean", "last", "max"])
def test_padding_changes_nothing(pooling: str, device: torch.device) -> None:
    model = (
        build_classifier(SentimentNetConfig(embed_dim=8, hidden_size=6, pooling=pooling), 30, 3)
        .to(device)
        .eval()
    )
    ids = torch.randint(4, 30, (3, 7), device=device)
    lengths = torch.tensor([7, 4, 1])
    for b, n in enumerate(lengths.tolist()):
        ids[b, n:] = 0
    padded = torch.cat([ids, torch.zeros(3, 5, dtype=torch.long, device=device)], dim=1)  # more padding
    out = model.forward_with_weights(ids, lengths)
    out_padded = model.forward_with_weights(padded, lengths)
    torch.testing.assert_close(out.logits, out_padded.logits)
    alone = model(ids[1:2, :4], lengths[1:2])  # the same text alone, unpadded
    torch.testing.assert_close(out.logits[1:2], alone)
    if pooling == "attention":
        w = out_padded.weights
        assert w is not None and w.shape == (3, 12)
        mask = torch.arange(12, device=device)[None] >= lengths.to(device)[:, None]
        assert bool((w[mask] == 0).all())  # padding never gets attention
        torch.testing.assert_close(w.sum(dim=1), torch.ones(3, device=device))
    else:
        assert out.weights is None


def test_language_model_ties_embeddings_and_carries_state() -> None:
    lm = build_language_model(LMNetConfig(embed_dim=8, hidden_size=16, dropout=0.0), 20).eval()
    assert lm.decoder.weight is lm.embedding.weight
    ids = torch.randint(4, 20, (2, 10))
    whole, _ = lm(ids)
    first, state = lm(ids[:, :6])
    rest, _ = lm(ids[:, 6:], state)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), whole)  # stateful = one pass


def test_model_configs_refuse_bad_sizes() -> None:
    with pytest.raises(NLPConfigError, match="num_classes >= 2"):
        build_classifier(SentimentNetConfig(), 30, 1)
    with pytest.raises(NLPConfigError, match="unknown pooling"):
        SentimentNetConfig(pooling="median")
    with pytest.raises(NLPConfigError, match="dropout"):
        LMNetConfig(dropout=1.5)
