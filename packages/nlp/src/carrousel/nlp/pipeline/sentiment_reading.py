"""How a sentiment bundle's text is read: its tokenizer with the recorded emoji reading, and ``[UNK]``.

A bundle's assets say how prediction reads a text beside the weights: ``tokenizer_kind`` and the file
``tokenizer.json``, ``emoji`` (:mod:`carrousel.nlp.emoji_names`; absent: keep), ``fold``
(:mod:`carrousel.nlp.char_fold`: characters the vocabulary lacks folded to known ones; absent: none) and ``unk`` (what the network
gets of ``[UNK]`` ids: ``keep``, or ``drop``, left out before it; absent: keep). Older bundles lack the later
assets and read as they did when they were written. :func:`encode_for_model` turns texts into what the network
reads (ids, whether each was cut, an OOV fallback's vectors) and :func:`read_order` orders them into batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import NamedTuple

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle
from carrousel.core.provenance import upgrade_hint
from carrousel.nlp.char_fold import UNK_MODES
from carrousel.nlp.data import CHARS_PER_TOKEN_CAP, encode_texts, read_as
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.oov import OovFallback
from carrousel.nlp.pipeline.common import TOKENIZER_FILE
from carrousel.nlp.tokenization import TextTokenizer

__all__ = ["Encoded", "bundle_tokenizer", "encode_for_model", "read_order", "reading_assets", "unk_reading"]


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


class Encoded(NamedTuple):
    """What a sentiment model reads of some texts (:func:`encode_for_model`)."""

    ids: list[np.ndarray]  # per text its ids, cut to the limit
    cut: list[bool]  # per text whether it was cut
    extra: np.ndarray | None  # (K, D) vectors of the ids past the vocabulary (an OOV fallback), else None
    mapped: list[int]  # per text its unknown words given one of them
    unread: list[
        int
    ]  # the texts (indices) of which the model knows no word, only [UNK] (TextTokenizer.unread)


@check_args
def encode_for_model(
    tokenizer: TextTokenizer, oov: OovFallback | None, texts: list[str], limit: int
) -> Encoded:
    """What a sentiment model reads of ``texts``: the ids per text (cut to ``limit``), whether each was cut
    (its callers warn: by sentence, a cut text may be read uncut), with an OOV fallback (``oov``) the
    ``(K, D)`` vectors of the ids past the vocabulary its unknown words got and their count per text, and
    the texts of which it knows no word (its callers warn, numbering the texts as they were given them)."""
    cap = (limit + 1) * CHARS_PER_TOKEN_CAP  # as in encode_texts
    encoded, spans, read = None, None, texts  # read: the texts as the OOV fallback reads them (below)
    if oov is not None:  # the characters behind each id too: the fallback reads its words off them
        # read as encode_texts reads them, once (read_as twice would read "&amp;#39;" as "'", not "&#39;");
        # spans point into the text with emoji named
        read = [tokenizer.prepare(read_as(t)) for t in texts]
        encoded, spans = tokenizer.encode_batch_spans([t[:cap] for t in read])
    # one extra id tells if it was cut; the texts as given: encode_texts reads them (read_as) itself
    full = encode_texts(tokenizer, texts, limit + 1, warn=False, encoded=encoded, unread=False)
    cut = [len(ids) > limit for ids in full]
    ids = [x[:limit] for x in full]
    unread = tokenizer.unread(ids)  # before the fallback's ids past the vocabulary
    if oov is None:
        return Encoded(ids, cut, None, [0] * len(ids), unread)
    ids, extra, counts = oov.expand(tokenizer, read, ids, tokenizer.vocab_size, cap, spans)
    return Encoded(ids, cut, extra, counts, unread)


@check_args
def read_order(lengths: Sequence[int], batch_size: int, skip: Set[int] = frozenset()) -> np.ndarray:
    """The texts (their ``lengths`` in ids) in the order a sentiment model reads them, ``batch_size`` at a time:
    by length (stable), less the batches made of ``skip`` texts alone (texts read by sentence, whose whole
    reading would be thrown away). The batches kept are those of all the texts, row for row: a text's
    probabilities depend in their last bits on the rows it is read with (the LSTM's products over the rows
    still running at each step), so leaving out single texts would change the others' results."""
    order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
    if not skip:
        return order
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    kept = [b for b in batches if not all(i in skip for i in b.tolist())]  # every batch but the last: full
    return np.concatenate(kept) if kept else order[:0]
