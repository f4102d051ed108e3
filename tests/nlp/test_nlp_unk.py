"""``[UNK]`` left out before the sentiment network (``SentimentModel(unk="drop")``, the shipped default).

What the mask gives, checked here: the ``[UNK]`` ids are removed before the embedding, so the BiLSTM and the
pooling (mean, attention, max, last) read the text exactly as the same ids without them; texts without
``[UNK]`` are untouched (equal probabilities); a text of only ``[UNK]`` is read as before.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.nlp.config import SentimentNetConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.models import build_classifier, drop_positions
from carrousel.nlp.pipeline import SentimentModel

UNK = 1


def test_drop_positions_moves_the_kept_ids_left_and_keeps_a_row_of_nothing_else() -> None:
    ids = torch.tensor([[5, 1, 6, 1, 7], [1, 1, 0, 0, 0], [8, 9, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 2])
    kept, new_lengths, positions = drop_positions(ids, lengths, ids == UNK)
    assert kept.tolist() == [[5, 6, 7], [1, 1, 0], [8, 9, 0]]  # row 1 is only [UNK]: kept as it was
    assert new_lengths.tolist() == [3, 2, 2]
    assert positions[0].tolist() == [0, 2, 4]


@pytest.mark.parametrize("pooling", ["mean", "attention", "max", "last"])
def test_dropping_equals_the_ids_without_unk_and_leaves_other_rows_alone(pooling: str) -> None:
    torch.manual_seed(0)
    model = build_classifier(SentimentNetConfig(embed_dim=8, hidden_size=8, pooling=pooling), 30, 2).eval()
    with_unk = torch.tensor([[4, 1, 9, 12, 1, 7]])
    without = torch.tensor([[4, 9, 12, 7]])
    plain = torch.tensor([[4, 9, 12, 7, 5, 6], [3, 8, 0, 0, 0, 0]])
    plain_lengths = torch.tensor([6, 2])
    with torch.no_grad():
        dropped = model.forward_with_weights(with_unk, torch.tensor([6]), drop=with_unk == UNK)
        removed = model.forward_with_weights(without, torch.tensor([4]))
        kept = model.forward_with_weights(with_unk, torch.tensor([6]))
        masked = model.forward_with_weights(plain, plain_lengths, drop=plain == UNK)
        unmasked = model.forward_with_weights(plain, plain_lengths)
    assert torch.allclose(dropped.logits, removed.logits, atol=1e-6)
    assert not torch.allclose(dropped.logits, kept.logits, atol=1e-3)  # [UNK] did count before
    assert torch.equal(masked.logits, unmasked.logits)  # no [UNK]: bit-identical
    if pooling == "attention":  # weights back on the input's positions, 0 at the dropped ones
        assert dropped.weights is not None and removed.weights is not None
        assert dropped.weights[0, [1, 4]].tolist() == [0.0, 0.0]
        assert torch.allclose(dropped.weights[0, [0, 2, 3, 5]], removed.weights[0], atol=1e-6)


def test_the_shipped_model_drops_unk_by_default(shipped: SentimentModel) -> None:
    drop, keep = shipped, SentimentModel.from_pretrained(unk="keep")
    assert drop.unk == "drop" and keep.unk == "keep"
    # λ is outside the BPE alphabet, with no known fold (test_nlp_char_fold.py): "▁ [UNK] ." -> read as
    # "the movie ." (the space piece stays)
    assert drop.tokenizer.encode_batch(["the movie λ."])[0] == [101, 228, 94, 1, 21]
    assert drop.tokenizer.encode_batch(["the movie ."])[0] == [101, 228, 94, 21]
    p_drop, p_plain = drop.predict_proba(["the movie λ.", "the movie ."])
    assert np.array_equal(p_drop, p_plain)
    assert keep.predict_proba(["the movie λ."])[0, 1] > p_plain[1] + 0.2  # the lean it removes


def test_texts_without_unk_get_equal_probabilities(shipped: SentimentModel) -> None:
    drop, keep = shipped, SentimentModel.from_pretrained(unk="keep")
    texts = ["a gorgeous, moving film", "dull and far too long", "not bad at all", "the plot is thin"]
    assert np.array_equal(drop.predict_proba(texts), keep.predict_proba(texts))
    for text in texts:  # one by one too
        assert np.array_equal(drop.predict_proba([text]), keep.predict_proba([text]))


def test_a_text_of_only_unk_is_read_as_before_with_its_warning(
    caplog: pytest.LogCaptureFixture, shipped: SentimentModel
) -> None:
    drop, keep = shipped, SentimentModel.from_pretrained(unk="keep")
    only = "[UNK] [UNK]"  # [UNK], the word marker ("▁", kept) and [UNK]; "[UNK]" alone is [UNK] alone
    assert drop.tokenizer.encode_batch([only])[0] == [UNK, 94, UNK]
    assert drop.predict_proba([only])[0, 1] != keep.predict_proba([only])[0, 1]  # the marker is a token
    only = "[UNK]"
    assert drop.tokenizer.encode_batch([only])[0] == [UNK]
    with caplog.at_level(logging.WARNING, logger="carrousel"):  # an earlier CLI test may quiet it
        p = drop.predict_proba([only])
    assert np.array_equal(p, keep.predict_proba([only]))
    assert "only [UNK]" in caplog.text


def test_an_unknown_reading_is_refused() -> None:
    with pytest.raises(NLPConfigError, match="unknown \\[UNK\\] reading 'skip'; use one of keep, drop"):
        SentimentModel.from_pretrained(unk="skip")


def test_the_exported_network_drops_the_same_ids(sentiment_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from carrousel.nlp.config import SentimentExportConfig
    from carrousel.nlp.pipeline import export_sentiment

    export_sentiment(SentimentExportConfig(str(sentiment_model), precision="fp32"), tmp_path / "x")
    eager = SentimentModel.from_pretrained(sentiment_model, unk="drop")
    deployed = SentimentModel.from_pretrained(tmp_path / "x", unk="drop")
    assert deployed.runtime is not None and eager.model.attention is not None
    texts = ["zzzqqq good film zzzqqq", "good film", "bad film xxyyzz"]  # word tokenizer: whole words [UNK]
    assert UNK in eager.tokenizer.encode_batch(texts[:1])[0]
    a, b = eager(texts), deployed(texts)
    assert np.allclose(a[0].probabilities["pos"], a[1].probabilities["pos"], atol=1e-6)
    for x, y in zip(a, b, strict=True):
        assert np.allclose(list(x.probabilities.values()), list(y.probabilities.values()), atol=1e-4)
        assert x.attention is not None and y.attention is not None
        assert np.allclose(x.attention, y.attention, atol=1e-4)
    assert a[0].attention is not None and a[0].attention[0] == 0.0 and a[0].attention[-1] == 0.0
