"""An unreadable tokenizer.json in a bundle a newer carrousel wrote says to upgrade (core's fix_or_upgrade,
as the other loaders' asset errors do); it said "train the model again", which this version cannot help."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.nlp.errors import NLPConfigError, TokenizerError
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


def _written(
    bundle: Bundle, written: str | None, files: dict[str, bytes] | None = None, **assets: str
) -> Bundle:
    return dataclasses.replace(
        bundle,
        files={**bundle.files, **(files or {})},
        assets={**bundle.assets, **assets},
        carrousel_version=written or bundle.carrousel_version,
    )


LOADERS = pytest.mark.parametrize(
    ("fixture", "loader"),
    [("sentiment_model", _sentiment), ("lm_model", _generator), ("toy_translator", _translator)],
)


@LOADERS
@pytest.mark.parametrize(("written", "fix"), [("99.0", UPGRADE), (None, "; train the model again")])
def test_an_unreadable_tokenizer_of_a_newer_carrousel_says_upgrade(
    request: pytest.FixtureRequest,
    fixture: str,
    loader: Callable[[Bundle], object],
    written: str | None,
    fix: str,
) -> None:
    bundle = load_bundle(Path(request.getfixturevalue(fixture)))
    with pytest.raises(TokenizerError, match=r"tokenizer\.json cannot be read") as info:
        loader(_written(bundle, written, {TOKENIZER_FILE: b"{not a tokenizer"}))
    assert str(info.value).endswith(fix), info.value


@LOADERS
@pytest.mark.parametrize(
    ("written", "fix"), [("99.0", UPGRADE), (None, "; train it again with carrousel.nlp")]
)
def test_a_tokenizer_lacking_a_special_token_of_a_newer_carrousel_says_upgrade(
    request: pytest.FixtureRequest,
    fixture: str,
    loader: Callable[[Bundle], object],
    written: str | None,
    fix: str,
) -> None:
    """A tokenizer.json without ``[PAD]`` at id 0 said "train it again with carrousel.nlp" whoever wrote it."""
    bundle = load_bundle(Path(request.getfixturevalue(fixture)))
    renamed = bundle.files[TOKENIZER_FILE].replace(b'"[PAD]"', b'"[PXD]"')
    with pytest.raises(TokenizerError, match=r"^tokenizer lacks \[PAD\] at id 0; ") as info:
        loader(_written(bundle, written, {TOKENIZER_FILE: renamed}))
    assert str(info.value).endswith(fix), info.value


@pytest.mark.parametrize(
    ("asset", "error", "said", "choices"),
    [
        ("emoji", TokenizerError, "unknown emoji reading 'sparkles'", "use one of names, keep"),
        ("fold", TokenizerError, "unknown character folding 'sparkles'", "use one of unknown, none"),
        ("unk", NLPConfigError, r"unknown \[UNK\] reading 'sparkles'", "use one of "),
    ],
)
def test_a_reading_this_version_does_not_know_says_upgrade_when_a_newer_carrousel_wrote_it(
    sentiment_model: Path, asset: str, error: type[Exception], said: str, choices: str
) -> None:
    """A sentiment bundle's recorded emoji reading, folding or [UNK] reading that this version lacks said
    "use one of ..." (choices the bundle cannot take) also where a newer carrousel wrote it."""
    bundle = load_bundle(sentiment_model)
    with pytest.raises(error, match=rf"^{said}; the bundle was written by carrousel 99\.0, newer than this "):
        _sentiment(_written(bundle, "99.0", **{asset: "sparkles"}))
    with pytest.raises(error, match=rf"^{said}; {choices}"):
        _sentiment(_written(bundle, None, **{asset: "sparkles"}))
