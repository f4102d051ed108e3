"""Negation: the rule-made training pairs (:mod:`carrousel.nlp.negation`), ruled rows in the distillation
transfer set, and the shipped model on the hand-written negation set.

``tests/nlp/data/negation.csv``: 40 sentences (20 positive, 20 negative) written by hand for this test,
each turning on a negation ("not bad at all", "never boring", "I wouldn't recommend it to anyone", "no
complaints", "nothing wrong"...), over films, products, restaurants, hotels and apps; written before
the negation templates. None was trained on: scripts/train_nlp_sentiment_model.py drops any generated
pair sentence equal to one of them (one, in the shipped model's draw). The first four are the shipped
model's old misreadings; three of them ("not bad at all", "not terrible", "never boring") have the shape
of the templates' short fragments, so the other 36 sentences are the fairer measure.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from carrousel.core.errors import DataError
from carrousel.nlp.config import SentimentTrainConfig, TeacherConfig, TextDataConfig
from carrousel.nlp.errors import LabelMismatchError, TextDataError
from carrousel.nlp.negation import negation_pairs, read_vader_lexicon
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.distill import teacher_transfer_set
from carrousel.nlp.samples import sample_file

NEGATION_SET = Path(__file__).parent / "data" / "negation.csv"
FOUR = {  # the shipped model's four misreadings before negation training
    "not bad at all": "positive",
    "never boring": "positive",
    "not terrible": "positive",
    "I wouldn't recommend it to anyone": "negative",
}
LEXICON = {"boring": -1.3, "great": 3.1, "awful": -2.0, "love": 3.2, "hate": -2.7, "meh": 0.2}
CORPUS = [
    "the film was very boring and the plot so awful",
    "a really great cast, really great music, so boring a script",
    "quite awful",
    "i love it and we love the music: we all want to love films, to love them",
    "i hate this, they hate that, nobody wants to hate anything or to hate the film",
]


def _negation_set() -> list[tuple[str, str]]:
    with open(NEGATION_SET, encoding="utf-8", newline="") as fh:
        return [(r["text"], r["label"]) for r in csv.DictReader(fh)]


def test_negation_set_is_balanced_and_holds_the_four_misreadings() -> None:
    rows = _negation_set()
    assert len(rows) == 40 and sum(label == "positive" for _, label in rows) == 20
    assert set(FOUR.items()) <= set(rows)


def test_pairs_flip_the_label_of_the_lexicon_word_under_negation() -> None:
    rows = negation_pairs(LEXICON, CORPUS, pairs=40, seed=1)
    assert rows == negation_pairs(LEXICON, CORPUS, pairs=40, seed=1)
    assert len(rows) == 80 and len({t for t, _ in rows}) == 80
    negations = ("not", "never", "n't")
    for text, label in rows:
        words = text.lower().rstrip(".").split()
        word = next(w for w in words if w in LEXICON)
        assert word != "meh"  # too weak a rating
        negated = any(n in w for w in words for n in negations)
        assert (label == "positive") == ((LEXICON[word] > 0) != negated), (text, label)
    assert any(text.startswith(("I ", "We ", "You ")) for text, _ in rows)  # verbs ("i love it")
    assert {label for _, label in rows} == {"positive", "negative"}


def test_pairs_need_lexicon_words_used_in_the_corpus() -> None:
    with pytest.raises(TextDataError, match="no lexicon word"):
        negation_pairs(LEXICON, ["nothing relevant here"], pairs=5)


def test_shipped_model_reads_negation(shipped: SentimentModel) -> None:
    """The shipped model, trained with 3,000 rule-made negation pairs as ruled rows: the four sentences it
    used to misread right, at least 70% of the 40 (measured 0.725; the model before: 0.475, nearly all
    negative) and at least 60% of the 36 others (measured 0.694; before: 0.528). Still weak: a negated
    negative in a full sentence ("There is nothing wrong with this laptop.") comes out right only 7 of 17
    times."""
    model = shipped
    assert model.threshold is not None  # the decision cut is stored (--threshold prior)
    rows = _negation_set()
    predicted = [p.label for p in model([t for t, _ in rows])]
    right = [p == label for p, (_, label) in zip(predicted, rows, strict=True)]
    assert all(right[:4]), list(zip(rows[:4], predicted[:4], strict=True))
    assert sum(right) / len(rows) >= 0.70, sum(right)
    assert sum(right[4:]) / 36 >= 0.60, sum(right[4:])


def test_no_hand_written_sentence_is_a_template_sentence() -> None:
    try:
        archive = sample_file("nlp.vader_ratings")
    except DataError as exc:
        pytest.skip(f"sample not cached ({exc}); run `carrousel-data fetch nlp`")
    from carrousel.nlp.vader import read_vader_ratings

    corpus = [t for rows in read_vader_ratings(archive).values() for t, _ in rows]
    made = {t.lower().rstrip(".") for t, _ in negation_pairs(read_vader_lexicon(archive), corpus, 3000)}
    assert not made & {t.lower().rstrip(".") for t, _ in _negation_set()}


class _FakeEncoder:
    """Stands in for MiniLM: a fixed random vector per text (and its memo, which a training empties)."""

    def __init__(self) -> None:
        self.memo: dict[str, np.ndarray] = {}

    def sentences(self, texts: list[str]) -> np.ndarray:
        return np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]).astype(
            np.float32
        )


def test_ruled_rows_keep_their_labels_as_targets(tmp_path: Path) -> None:
    ruled = tmp_path / "ruled.csv"
    ruled.write_text("text,label\nnot bad at all,pos\nnot good,neg\n", encoding="utf-8")
    cfg = SentimentTrainConfig(
        TextDataConfig("unused.csv"), teacher=TeacherConfig(augment=0, ruled=(str(ruled),), ruled_margin=3.0)
    )
    train = ["a fine film", "a dull film", "great", "awful"]
    soft = teacher_transfer_set(
        cfg,
        train,
        np.array([1, 0, 1, 0]),
        ["nice"],
        np.array([1]),
        ["neg", "pos"],
        _FakeEncoder(),  # type: ignore[arg-type]
    )
    assert soft.extra == ["not bad at all", "not good"]
    assert soft.extra_labels == [1, 0]
    assert soft.counts["ruled"] == 2
    np.testing.assert_allclose(soft.train_logits[-2:], [[-1.5, 1.5], [1.5, -1.5]])
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nnot bad,maybe\n", encoding="utf-8")
    with pytest.raises(LabelMismatchError, match="maybe"):
        teacher_transfer_set(
            SentimentTrainConfig(
                TextDataConfig("unused.csv"), teacher=TeacherConfig(augment=0, ruled=(str(bad),))
            ),
            train,
            np.array([1, 0, 1, 0]),
            ["nice"],
            np.array([1]),
            ["neg", "pos"],
            _FakeEncoder(),  # type: ignore[arg-type]
        )
