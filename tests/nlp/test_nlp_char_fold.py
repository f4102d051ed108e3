"""Characters the vocabulary never contains folded to known ones (carrousel.nlp.char_fold, ``fold``)."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from carrousel.core.bundle import load_bundle
from carrousel.nlp.char_fold import CharFolder, fold_candidate
from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.errors import NLPConfigError, TokenizerError
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.pipeline.sentiment import KIND, shipped_model_path
from carrousel.nlp.tokenization import TextTokenizer, train_tokenizer
from tests.nlp.conftest import write_csv

UNK = 1


@pytest.mark.parametrize(
    ("char", "fold"),
    [
        ("’", "'"),
        ("‘", "'"),
        ("“", '"'),
        ("»", '"'),
        ("—", "-"),
        ("−", "-"),
        ("…", "..."),
        ("\n", " "),
        ("\u00a0", " "),
        ("\u200b", ""),
        ("é", "e"),
        ("É", "E"),
        ("ñ", "n"),
        ("e\u0301", "e"),  # a letter with its combining mark, read whole
        ("ß", None),  # NFKD leaves it whole: kept
        ("λ", None),
        ("7", None),
    ],
)
def test_fold_candidates(char: str, fold: str | None) -> None:
    assert fold_candidate(char) == fold


def test_known_characters_are_never_touched() -> None:
    folder = CharFolder(
        "abcdefghijklmnopqrstuvwxyz' .’\"-", str
    )  # this vocabulary knows the curly apostrophe
    assert folder("don’t stop") == "don’t stop"  # known: kept as written
    assert folder("“café” — ok") == '"cafe" - ok'
    assert folder("straße") == "straße"  # no known fold: [UNK] as before
    rng = random.Random(0)
    for _ in range(200):  # any text of known characters is byte-identical
        text = "".join(rng.choice("abcz' .’") for _ in range(rng.randint(0, 30)))
        assert folder(text) is text


def _shipped(fold: str | None) -> SentimentModel:
    bundle = load_bundle(shipped_model_path(), kind=KIND)
    assets = {k: v for k, v in bundle.assets.items() if k != "fold"}
    return SentimentModel(replace(bundle, assets=assets if fold is None else {**assets, "fold": fold}))


def test_the_shipped_model_reads_a_curly_apostrophe_as_the_straight_one(shipped: SentimentModel) -> None:
    model = shipped
    assert model.tokenizer.fold == "unknown"
    for odd, plain in [("I don’t like it", "I don't like it"), ("a café", "a cafe")]:
        ids = model.tokenizer.encode_batch([odd, plain])
        assert ids[0] == ids[1] and UNK not in ids[0]
        probs = model.predict_proba([odd, plain])
        assert np.array_equal(probs[0], probs[1])
    assert UNK not in model.tokenizer.encode("“Brilliant” film — truly, a café in Montréal, naïve\n")


def test_texts_without_unk_are_byte_identical_and_read_as_before() -> None:
    on, off = _shipped("unknown"), _shipped(None)
    assert off.tokenizer.fold == "none"  # a bundle without the asset: no folding, as before
    texts = ["a gorgeous, moving film", "dull and far too long :(", "not bad at all 100%", "the movie 😡"]
    texts += ["A GOOD FILM", "Ελλάδα"]  # capitals are known (lowercased); Greek has no known fold: [UNK] kept
    for text in texts:
        assert on.tokenizer.prepare(text) == off.tokenizer.prepare(text)
    assert np.array_equal(on.predict_proba(texts), off.predict_proba(texts))
    assert UNK in off.tokenizer.encode("I don’t like it")  # the old reading: [UNK]


def test_a_model_trained_on_curly_quotes_keeps_them(tmp_path: Path) -> None:
    rows = [(f"it’s {w} film", lab) for w, lab in [("a good", "pos"), ("a bad", "neg")] * 20]
    cfg = SentimentTrainConfig(
        TextDataConfig(str(write_csv(tmp_path / "curly.csv", rows))),
        TokenizerConfig(kind="bpe", vocab_size=60, min_frequency=1),
        SentimentNetConfig(embed_dim=8, hidden_size=8),
        FitConfig(epochs=2, batch_size=8, progress=False),
    )
    assert cfg.fold == "unknown"  # new models fold by default
    train_sentiment(cfg, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["assets"]["fold"] == "unknown"
    tok = SentimentModel.from_pretrained(tmp_path / "m").tokenizer
    assert tok.prepare("it’s a good film") == "it’s a good film"  # ’ is in its alphabet: kept
    assert tok.prepare("it’s a gööd film") == "it’s a good film"


@pytest.mark.parametrize("kind", ["bpe", "unigram", "word", "char"])
def test_every_tokenizer_kind_folds_what_it_lacks(kind: str) -> None:
    texts = ["it's a good film", "it is a bad film - sadly"] * 10
    tok = train_tokenizer(texts, TokenizerConfig(kind=kind, vocab_size=60, min_frequency=1), fold="unknown")
    assert UNK not in tok.encode("it’s a good film — sadly")
    assert tok.prepare("it's a good film") == "it's a good film"


def test_bad_fold_readings_are_refused() -> None:
    with pytest.raises(NLPConfigError, match="fold must be one of unknown, none"):
        SentimentTrainConfig(TextDataConfig("x.csv"), fold="all")
    bundle = load_bundle(shipped_model_path(), kind=KIND)
    with pytest.raises(TokenizerError, match="unknown character folding 'all'"):
        TextTokenizer.from_bytes(bundle.files[TOKENIZER_FILE], "bpe", "names", "all")


def test_the_shipped_bundle_copied_without_the_asset_reads_as_before(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(shipped_model_path(), old)
    manifest = json.loads((old / "bundle.json").read_text(encoding="utf-8"))
    manifest["assets"].pop("fold", None)
    (old / "bundle.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    model = SentimentModel.from_pretrained(old)
    assert model.tokenizer.fold == "none"
    assert UNK in model.tokenizer.encode("I don’t like it")
