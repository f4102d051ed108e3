"""A text read sentence by sentence is not also read whole.

On main ``SentimentModel.predict_proba`` and ``__call__`` read every text whole, then the split ones again by
sentence, and threw the first reading of those away: the longest texts were read twice. They now decide which
texts are split from their token counts first and leave out of the whole reading every batch holding split
texts alone (texts are read by length, so texts cut at the limit, the ones split by default, come last). The
batches kept are main's, row for row, so the results are main's bit for bit: computed here as main did (every
text read whole, then the sentences, combined). Leaving out single texts instead changed the last bits of
others read beside them (0.0015975746791809797 for 0.0015975754940882325 with batches of 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.nlp.long_texts import SentenceReading
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment_reading import read_order

MIX = [
    "a gorgeous, moving film",
    "It was dull. " * 50,  # cut at 128 tokens, several sentences: split
    "The first hour is dull. The ending is wonderful.",  # several sentences, not cut: split by "sentences"
    "the cast is lovely and " * 40,  # cut, one sentence: read whole (cut) by every reading
    "dull and far too long.",
    "A fine film. The plot drags. " * 30,  # cut, split
    "not bad at all",
    "Great acting. " * 60,  # cut, split
]
# read 2 at a time, by length: the four short texts, then [1, 3] (read whole: 3 is not split), then [5, 7]


def test_read_order_leaves_out_the_batches_of_skipped_texts_alone() -> None:
    assert read_order([5, 1, 9, 9, 9], 2).tolist() == [1, 0, 2, 3, 4]
    assert read_order([5, 1, 9, 9, 9], 2, {2, 3}).tolist() == [1, 0, 4]  # batches [1, 0] [2, 3] [4]
    assert read_order([5, 1, 9, 9, 9], 2, {3, 4}).tolist() == [1, 0, 2, 3]  # 3 is read beside 2: kept
    assert read_order([5, 1, 9], 2, {0, 1, 2}).tolist() == []


@pytest.fixture
def network_work(shipped: SentimentModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Rows and tokens the shipped network reads, counted as they go (its ``unk=drop`` runs the network in an
    inner call, on the ids left after the [UNK] are dropped: that one is counted)."""
    work = {"rows": 0, "tokens": 0}
    inner = shipped.model.forward_with_weights

    def counted(ids: torch.Tensor, lengths: torch.Tensor, *rest: object) -> object:
        if len(rest) < 2 or rest[1] is None:
            work["rows"] += ids.shape[0]
            work["tokens"] += int(lengths.sum())
        return inner(ids, lengths, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(shipped.model, "forward_with_weights", counted)
    yield work


def _read(work: dict[str, int], run: object) -> tuple[object, dict[str, int]]:
    before = dict(work)
    out = run()  # type: ignore[operator]
    return out, {k: work[k] - before[k] for k in work}


@pytest.mark.parametrize("long", ["truncated", "sentences"])
def test_a_split_text_is_read_once_and_the_probabilities_are_mains(
    shipped: SentimentModel, network_work: dict[str, int], long: str
) -> None:
    cut = [p.truncated for p in shipped(MIX, long="whole", warn=False)]
    plan = SentenceReading.plan(MIX, cut, long)
    assert plan.split == ({1, 5, 7} if long == "truncated" else {1, 2, 5, 7})
    whole, read_whole = _read(network_work, lambda: shipped.predict_proba(MIX, 2, long="whole"))
    flat, read_flat = _read(network_work, lambda: shipped.predict_proba(plan.flat, 2, long="whole"))
    mains = plan.combine(whole, flat)[0]  # type: ignore[arg-type]
    got, read = _read(network_work, lambda: shipped.predict_proba(MIX, 2, long=long))
    assert got.dtype == mains.dtype and np.array_equal(got, mains)  # type: ignore[attr-defined]
    _, left_out = _read(network_work, lambda: shipped.predict_proba([MIX[5], MIX[7]], 2, long="whole"))
    assert left_out["rows"] == 2 and left_out["tokens"] > 200  # both cut at 128 ids, some [UNK] dropped
    assert read == {k: read_whole[k] - left_out[k] + read_flat[k] for k in read}  # main: whole + flat


@pytest.mark.parametrize("long", ["truncated", "sentences"])
def test_call_reads_a_split_text_once_and_predicts_as_main(
    shipped: SentimentModel, network_work: dict[str, int], long: str
) -> None:
    whole, read_whole = _read(network_work, lambda: shipped(MIX, 2, long="whole", warn=False))
    plan = SentenceReading.plan(MIX, [p.truncated for p in whole], long)  # type: ignore[attr-defined]
    flat, read_flat = _read(network_work, lambda: shipped(plan.flat, 2, long="whole", warn=False))
    got, read = _read(network_work, lambda: shipped(MIX, 2, long=long, warn=False))
    _, left_out = _read(network_work, lambda: shipped([MIX[5], MIX[7]], 2, long="whole"))
    assert read == {k: read_whole[k] - left_out[k] + read_flat[k] for k in read}
    _check_as_main(got, whole, flat, plan, shipped)  # type: ignore[arg-type]


def test_call_with_attention_and_a_lower_limit_predicts_as_main(sentiment_model: Path) -> None:
    """A model pooling by attention (its weights shown), cut at ``max_length=6`` tokens."""
    model = SentimentModel.from_pretrained(sentiment_model)
    texts = ["the film was good. the plot was dull. its cast is lovely", "a good film", "the story was " * 4]
    texts += ["really funny and smart", "not bad. not boring. quite lovely"]
    whole = model(texts, 2, max_length=6, long="whole", warn=False)
    assert whole[0].attention is not None
    plan = SentenceReading.plan(texts, [p.truncated for p in whole], "truncated")
    assert plan.split == {0, 4}  # the third is cut but one sentence
    flat = model(plan.flat, 2, max_length=6, long="whole", warn=False)
    _check_as_main(model(texts, 2, max_length=6, warn=False), whole, flat, plan, model)


def _check_as_main(got: list, whole: list, flat: list, plan: SentenceReading, model: SentimentModel) -> None:
    """``got`` is what main's ``__call__`` made of the texts read whole (``whole``) and their sentences."""
    rows = np.asarray([[p.probabilities[name] for name in model.labels] for p in whole])
    probs, picks = plan.combine(rows, np.asarray([[p.probabilities[n] for n in model.labels] for p in flat]))
    for i, pred in enumerate(got):
        if i not in plan.split:
            assert pred == whole[i]
            continue
        assert pred.read == "sentences" and pred.text == whole[i].text
        assert [pred.probabilities[name] for name in model.labels] == [float(q) for q in probs[i]]
        assert (pred.tokens, pred.attention) == (flat[picks[i]].tokens, flat[picks[i]].attention)
