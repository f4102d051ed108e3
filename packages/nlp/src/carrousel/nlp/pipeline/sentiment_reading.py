"""How a sentiment bundle's text is read: its tokenizer with the recorded emoji reading, and ``[UNK]``.

A bundle's assets say how prediction reads a text beside the weights: ``tokenizer_kind`` and the file
``tokenizer.json``, ``emoji`` (:mod:`carrousel.nlp.emoji_names`; absent: keep), ``fold``
(:mod:`carrousel.nlp.char_fold`: characters the vocabulary lacks folded to known ones; absent: none) and ``unk`` (what the network
gets of ``[UNK]`` ids: ``keep``, or ``drop``, left out before it; absent: keep). Older bundles lack the later
assets and read as they did when they were written.
"""

from __future__ import annotations

from collections.abc import Mapping

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle
from carrousel.core.provenance import upgrade_hint
from carrousel.nlp.char_fold import UNK_MODES
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.tokenization import TextTokenizer

__all__ = ["bundle_tokenizer", "reading_assets", "unk_reading"]


@check_args
def reading_assets(tokenizer: TextTokenizer, max_length: int, unk: str) -> dict[str, object]:
    """The assets a new bundle records of its reading: the tokenizer's kind, emoji reading and folding, the
    token cap and what prediction does with ``[UNK]`` ids (``unk``, one of :data:`UNK_MODES`).

    Raises:
        NLPConfigError: ``unk`` is not one of :data:`UNK_MODES`.
    """
    return {
        "tokenizer_kind": tokenizer.kind,
        "emoji": tokenizer.emoji,
        "fold": tokenizer.fold,
        "unk": unk_reading({}, unk),
        "max_length": max_length,
    }


def bundle_tokenizer(bundle: Bundle) -> TextTokenizer:
    """The tokenizer of a sentiment bundle, reading emoji and folding characters as its assets record (absent:
    as written).

    Raises:
        TokenizerError: an unreadable ``tokenizer.json`` or an unknown recorded reading.
    """
    return TextTokenizer.from_bytes(
        bundle.files[TOKENIZER_FILE],
        str(bundle.assets["tokenizer_kind"]),
        str(bundle.assets.get("emoji", "keep")),  # absent: a bundle from before emoji were named
        str(bundle.assets.get("fold", "none")),  # absent: a bundle from before the folding
        upgrade=upgrade_hint(bundle),  # what the errors say when a newer carrousel wrote it
    )


def unk_reading(assets: Mapping[str, object], unk: str | None = None, upgrade: str | None = None) -> str:
    """``unk``, or with None the bundle's asset ``unk`` (absent: ``keep``); ``upgrade``: the bundle's
    :func:`~carrousel.core.provenance.upgrade_hint`, said instead of the choices for a recorded reading.

    Raises:
        NLPConfigError: the reading is not one of :data:`UNK_MODES`.
    """
    reading = str(assets.get("unk", "keep")) if unk is None else unk
    if reading not in UNK_MODES:
        fix = (upgrade if unk is None else None) or f"use one of {', '.join(UNK_MODES)}"
        raise NLPConfigError(f"unknown [UNK] reading {reading!r}; {fix}")
    return reading
