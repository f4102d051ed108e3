"""An unreadable tokenizer.json in a bundle a newer carrousel wrote says to upgrade (core's fix_or_upgrade,
as the other loaders' asset errors do); it said "train the model again", which this version cannot help."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.nlp.errors import TokenizerError
from carrousel.nlp.pipeline.common import TOKENIZER_FILE

UPGRADE = "upgrade carrousel (pip install -U carrousel-core carrousel-nlp)"


def _sentiment(bundle: Bundle) -> object:
    from carrousel.nlp.pipeline import SentimentModel

    return SentimentModel(bundle)


def _generator(bundle: Bundle) -> object:
    from carrousel.nlp.pipeline.generate import TextGenerator

    return TextGenerator(bundle)


def _translator(bundle: Bundle) -> object:
    from carrousel.nlp.pipeline.translate import Translator

    return Translator(bundle)


@pytest.mark.parametrize(
    ("fixture", "loader"),
    [("sentiment_model", _sentiment), ("lm_model", _generator), ("toy_translator", _translator)],
)
@pytest.mark.parametrize(("written", "fix"), [("99.0", UPGRADE), (None, "; train the model again")])
def test_an_unreadable_tokenizer_of_a_newer_carrousel_says_upgrade(
    request: pytest.FixtureRequest,
    fixture: str,
    loader: Callable[[Bundle], object],
    written: str | None,
    fix: str,
) -> None:
    bundle = load_bundle(Path(request.getfixturevalue(fixture)))
    bundle = dataclasses.replace(
        bundle,
        files={**bundle.files, TOKENIZER_FILE: b"{not a tokenizer"},
        carrousel_version=written or bundle.carrousel_version,
    )
    with pytest.raises(TokenizerError, match=r"tokenizer\.json cannot be read") as info:
        loader(bundle)
    assert str(info.value).endswith(fix), info.value
