"""What a notebook hands the nlp Python API: tables, dicts and 2-D arrays of texts, paths in configs, a prompt
that is not text, one ensemble member folder, and what repr() shows. Found by the notebook sweep."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.nlp.config import GenerateConfig, LMDataConfig, TextDataConfig, TranslateDataConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.pipeline import SentimentModel, TextGenerator, Translator


@pytest.mark.parametrize(
    ("texts", "said"),
    [
        (
            pd.DataFrame({"text": ["a great film", "dull"]}),
            r"got a 2-D DataFrame of shape \(2, 1\).*df\['text'\]",
        ),
        (np.array([["a great film", "dull"]]), r"got a 2-D ndarray of shape \(1, 2\)"),
        ({"a": "a great film"}, r"got a dict, not a list of texts; pass list\(d.values\(\)\)"),
    ],
)
def test_a_table_or_a_mapping_of_texts_is_refused_not_read_by_its_keys(
    shipped: SentimentModel, texts: object, said: str
) -> None:
    # before: a DataFrame was read as its column names (one prediction of the text 'text'), a dict as its
    # keys, a 2-D array's rows were 'text 1 is array([...]), not text'
    with pytest.raises(TextDataError, match=said):
        shipped(texts)  # type: ignore[arg-type]
    with pytest.raises(TextDataError, match=said):
        shipped.predict_proba(texts)  # type: ignore[arg-type]


def test_a_pandas_column_still_predicts_as_its_list(shipped: SentimentModel) -> None:
    texts = ["a great film", "boring and too long"]
    assert shipped(pd.Series(texts, index=[7, 9])) == shipped(texts)


def test_paths_in_data_configs_are_their_text() -> None:
    # before: TextDataConfig(Path) 'PosixPath' object has no attribute 'strip'; LMDataConfig(files=Path)
    # TypeError "object of type 'PosixPath' has no len()"; files="book.txt" was kept as a string
    assert TextDataConfig(Path("reviews.csv")).source == "reviews.csv"
    assert LMDataConfig(files=Path("book.txt")).files == ("book.txt",)  # type: ignore[arg-type]
    assert LMDataConfig(files="book.txt").files == ("book.txt",)  # type: ignore[arg-type]
    assert TranslateDataConfig(pairs=Path("de.mo")).pairs == ("de.mo",)  # type: ignore[arg-type]


@pytest.mark.parametrize("prompt", [math.nan, ["It was"]])
def test_a_prompt_that_is_not_text_is_one_line(lm_model: Path, prompt: object) -> None:
    # before: TypeError "'float' object is not an instance of 'str'" from inside the tokenizer
    gen = TextGenerator.from_pretrained(lm_model)
    with pytest.raises(TextDataError, match=r"^prompt=.* is not text; give a string"):
        gen(GenerateConfig(model=str(lm_model), prompt=prompt, max_tokens=3))  # type: ignore[arg-type]
    with pytest.raises(TextDataError, match=r"^prompt="):
        gen.stream(prompt, max_tokens=3)  # type: ignore[arg-type]


def test_one_member_folder_is_one_member(toy_translator: Path) -> None:
    # before: members="DIR" was read letter by letter: 'model folder t not found'
    one = Translator.from_pretrained(toy_translator, members=str(toy_translator))
    assert len(one.others) == 1
    assert repr(one) == repr(Translator.from_pretrained(toy_translator, members=[toy_translator]))


def test_loaded_models_show_one_line(shipped: SentimentModel, lm_model: Path, toy_translator: Path) -> None:
    # before: <carrousel.nlp.pipeline.sentiment.SentimentModel object at 0x7f...>
    assert repr(shipped) == "SentimentModel(labels=['negative', 'positive'], unk='drop', precision='fp32')"
    assert (
        repr(TextGenerator.from_pretrained(lm_model)) == "TextGenerator(tokenizer='char', precision='fp32')"
    )
    assert repr(Translator.from_pretrained(toy_translator)).startswith("Translator(src=")
