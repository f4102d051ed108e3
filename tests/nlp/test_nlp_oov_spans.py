"""The OOV fallback reads each ``[UNK]``'s word off the characters the first tokenization gave its id (before:
every text holding an unknown word was normalised and pre-tokenized a second time, half of the fallback's
cost): exactly the same predictions as the second pre-tokenization gives, and that pass is left for the
texts whose unknown characters do not spell one word alone (``½``, read as ``1 ⁄ 2``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.nlp.oov import OovFallback
from carrousel.nlp.pipeline import SentimentModel
from tests.nlp.test_nlp_oov import _with_fallback

_MAPPED = {"superb": "great", "dreadful": "awful", "naïve": "great", "xyzzy": "awful", "fine": "great"}
_WORDS = ["the", "film", "was", "great", "awful", "not", "superb", "dreadful", "naïve", "xyzzy", "plonk"]
_ODD = [  # normalisation and pre-tokenization at work on unknown words
    "ＳＵＰＥＲＢ film",  # fullwidth: NFKC and lower case make it "superb"
    "the ﬁne film",  # a ligature: "fine"
    "Naı̈ve, SUPERB!!  (dreadful)",  # a dotless i with a diaeresis: not "naïve" (2 words mapped)
    "superb @ xyzzy; dreadful",
    "½ the film, superb",  # "½" is three words "1 ⁄ 2": this text is pre-tokenized again
    "漢字 superb",
    "e\u0301tude dreadful",
]


def _texts() -> list[str]:
    rng = np.random.default_rng(0)
    made = [
        " ".join(rng.choice(_WORDS, rng.integers(1, 12))) + rng.choice([".", "!", " 42", "", ","])
        for _ in range(200)
    ]
    return made + _ODD


def test_words_read_off_the_first_tokenization_predict_as_pretokenizing_again(
    sentiment_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _with_fallback(sentiment_model, tmp_path / "m", _MAPPED)
    texts = _texts()
    again: list[str] = []  # the texts pre-tokenized a second time
    words = OovFallback._words

    def counted(tokenizer: object, text: str, seq: np.ndarray) -> list[str] | None:
        again.append(text)
        return words(tokenizer, text, seq)  # type: ignore[arg-type]

    monkeypatch.setattr(OovFallback, "_words", staticmethod(counted))
    model = SentimentModel.from_pretrained(folder)
    got = model.predict_proba(texts, batch_size=64)
    single = np.concatenate([model.predict_proba([t], batch_size=1) for t in texts[-40:]])
    counts = [p.unknown_words_mapped for p in model(texts)]
    assert again == ["½ the film, superb"] * 3, again  # once per call above, and no other text

    reference = SentimentModel.from_pretrained(folder)  # the second pre-tokenization for every text
    monkeypatch.setattr(OovFallback, "_spelled", lambda self, tokenizer, chars: None)
    np.testing.assert_array_equal(got, reference.predict_proba(texts, batch_size=64))
    np.testing.assert_array_equal(
        single, np.concatenate([reference.predict_proba([t], batch_size=1) for t in texts[-40:]])
    )
    assert counts == [p.unknown_words_mapped for p in reference(texts)] and sum(map(int, counts)) > 300
    assert counts[-len(_ODD) :] == [1, 1, 2, 3, 1, 1, 1], counts[-len(_ODD) :]
