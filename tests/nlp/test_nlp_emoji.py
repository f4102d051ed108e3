"""Emoji read as their Unicode names (carrousel.nlp.emoji_names), recorded in a sentiment bundle."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.core.bundle import load_bundle
from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.emoji_names import emoji_name, name_emoji
from carrousel.nlp.errors import NLPConfigError, TokenizerError
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.pipeline.sentiment import KIND, shipped_model_path
from carrousel.nlp.tokenization import TextTokenizer, train_tokenizer
from tests.nlp.conftest import write_csv


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("the movie 😡", "the movie pouting face"),
        ("the movie😡!", "the movie pouting face !"),  # set off from its neighbours, never fused
        ("😂😂", "face with tears of joy face with tears of joy"),  # a run: one space between names
        ("❤️", "heart"),  # variation selector dropped; "heavy black": typography of an old BMP name
        ("❤︎", "heart"),  # the text-style selector too
        ("👍🏽 ok", "thumbs up ok"),  # skin tone dropped; "sign" is a generic word
        ("👨‍👩‍👧", "man woman girl"),  # ZWJ sequence: every part's name
        ("👩‍❤️‍👨", "woman heart man"),
        ("🇫🇷🇩🇪", "flag flag"),  # regional indicator pairs
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", "waving black flag"),  # subdivision flag: tags dropped; an SMP name keeps its colour
        ("🖤", "black heart"),
        ("1️⃣ 2⃣ #️⃣ *️⃣", "1 2 # *"),  # keycaps: the key
        ("☺", "smiling face"),
        ("© 2020", "copyright 2020"),  # Extended_Pictographic, hence named too
    ],
)
def test_emoji_become_their_names(text: str, read: str) -> None:
    assert name_emoji(text) == read
    assert name_emoji(read) == read  # idempotent: reading twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "Café crème, naïve façade, Ångström, Dvořák",  # accented Latin
        "日本語のテキスト，中文：你好！한국어",  # CJK with full-width punctuation
        ":) :-( ;-) <3 xD ^_^ (╯°□°)╯︵ ┻━┻",  # emoticons
        "★ ► ♫ ✓ → ½ ™",  # symbols that are not Extended_Pictographic (™ is: "trade mark")
        "a\u200db \U0001f3fd x \ufe0f \u20e3 1",  # a lone ZWJ, skin tone, selector, keycap mark
        "\U0001fc00 reserved",  # Extended_Pictographic but unassigned: no name, kept
        "",
    ],
)
def test_everything_else_stays_byte_identical(text: str) -> None:
    expected = text.replace("™", "trade mark")
    assert name_emoji(text) == expected


def test_pictograph_names_follow_the_rules() -> None:
    assert emoji_name("👍") == "thumbs up"  # THUMBS UP SIGN
    assert emoji_name("💤") == "sleeping"  # SLEEPING SYMBOL
    assert emoji_name("★") == "star"  # BLACK STAR (BMP: filled)
    assert emoji_name("🤍") == "white heart"  # an emoji whose colour is its meaning
    assert emoji_name("\U0001fc00") is None


def _train_texts() -> list[tuple[str, str]]:
    rng = random.Random(0)
    fill = [
        "the",
        "movie",
        "we",
        "saw",
        "today",
        "was",
        "about",
        "a",
        "family",
        "and",
        "their",
        "house",
        "in",
        "town",
    ]
    pos, neg = ["smiling", "heart", "joy", "kiss"], ["angry", "crying", "pouting", "weary"]
    rows = []
    for _ in range(300):
        label = rng.choice(["pos", "neg"])
        words = rng.sample(fill, 4)
        words.insert(rng.randint(0, 4), rng.choice(pos if label == "pos" else neg))
        rows.append((" ".join(words), label))
    return rows


def test_a_model_trained_on_words_reads_unseen_emoji_through_their_names(tmp_path: Path) -> None:
    """No emoji in training; with names (the default) emoji it never saw get their words' polarity, the
    reading recorded in the bundle; with keep every emoji is [UNK] and all get one answer."""
    data = write_csv(tmp_path / "words.csv", _train_texts())
    cfg = SentimentTrainConfig(
        TextDataConfig(str(data)),
        TokenizerConfig(kind="word", vocab_size=100, min_frequency=1),
        SentimentNetConfig(embed_dim=16, hidden_size=16),
        FitConfig(epochs=6, batch_size=16, lr=1e-2, progress=False),
    )
    assert cfg.emoji == "names"
    train_sentiment(cfg, tmp_path / "names")
    train_sentiment(replace(cfg, emoji="keep"), tmp_path / "keep")
    manifest = json.loads((tmp_path / "names" / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["assets"]["emoji"] == "names"
    texts = ["the movie 😊", "the movie 💖", "the movie 😠", "the movie 😢"]  # none of them trained on
    named = SentimentModel.from_pretrained(tmp_path / "names")
    assert [p.label for p in named(texts)] == ["pos", "pos", "neg", "neg"]
    assert named(["the movie 😠"])[0].tokens == ["the", "movie", "angry", "face"]
    kept = SentimentModel.from_pretrained(tmp_path / "keep")
    assert len({p.label for p in kept(texts)}) == 1


def _shipped_without_emoji_asset(tmp_path: Path) -> Path:
    """The shipped bundle as it was before this asset (and the later ``unk``, test_nlp_unk.py) existed."""
    old = tmp_path / "old"
    shutil.copytree(shipped_model_path(), old)
    manifest = json.loads((old / "bundle.json").read_text(encoding="utf-8"))
    del manifest["assets"]["emoji"]
    manifest["assets"].pop("unk", None)
    (old / "bundle.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return old


def test_a_bundle_without_the_emoji_asset_keeps_emoji_as_written(tmp_path: Path) -> None:
    old = SentimentModel.from_pretrained(_shipped_without_emoji_asset(tmp_path))
    assert old.tokenizer.emoji == "keep"
    probs = old.predict_proba(["the movie 😡", "the movie 😍", "the movie [UNK]"])[:, 1]
    assert probs[0] == probs[1] == probs[2]  # every emoji is [UNK], as before
    assert old(["the movie 😡"])[0].label == "positive"


def test_shipped_model_reads_emoji_as_names_and_nothing_else_changes(
    tmp_path: Path, shipped: SentimentModel
) -> None:
    new = shipped
    old = SentimentModel.from_pretrained(_shipped_without_emoji_asset(tmp_path))
    assert new.tokenizer.emoji == "names"
    assert new(["the movie 😡"])[0].label == "negative"
    plain = ["Café crème was naïve :)", "日本語のテキスト", "a dull film :-(", "ÅNGSTRÖM 100% ½"]
    kept = SentimentModel.from_pretrained(unk="keep")  # [UNK] read as trained, as in the bundle before
    assert np.array_equal(kept.predict_proba(plain), old.predict_proba(plain))


def test_cli_predict_reads_an_angry_emoji_as_negative(nlp: Any) -> None:
    run = nlp("sentiment", "predict", "the movie 😡", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["predictions"][0]["label"] == "negative"


def test_bad_emoji_readings_are_refused(nlp: Any, tmp_path: Path) -> None:
    with pytest.raises(NLPConfigError, match="emoji must be one of names, keep"):
        SentimentTrainConfig(TextDataConfig("x.csv"), emoji="words")
    with pytest.raises(TokenizerError, match="unknown emoji reading"):
        train_tokenizer(["a b"], TokenizerConfig(kind="word", min_frequency=1), emoji="words")
    bundle = load_bundle(shipped_model_path(), kind=KIND)
    with pytest.raises(TokenizerError, match="unknown emoji reading"):
        TextTokenizer.from_bytes(bundle.files[TOKENIZER_FILE], "bpe", "words")
    run = nlp("sentiment", "train", "--data", "x.csv", "-o", str(tmp_path / "m"), "--emoji", "words")
    assert run.returncode == 2 and "Traceback" not in run.stderr
