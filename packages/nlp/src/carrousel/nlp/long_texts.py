"""Reading a text of several sentences with a sentiment model trained on single sentences.

A model trained on sentences reads a whole review as one long sentence, and one longer than its
``max_length`` tokens is cut. Read by sentence instead (:class:`SentenceReading`), each sentence
(:func:`carrousel.nlp.sentence_split.split_sentences`) is read on its own and the text gets the mean of their
log probabilities, renormalised (for two classes: the mean of the sentences' logits, so a text's odds are the
geometric mean of its sentences'). The stored decision cut is then applied to the result as to any text's.
:class:`~carrousel.nlp.pipeline.SentimentModel` reads so by default the texts it would cut (``truncated``,
adopted by the rule of ``benchmarks/bench_nlp_long_texts.py``); a text it would not cut is read whole, as
before. Such a text's tokens and attention are those of its most decided sentence (the largest gap between its
two most probable classes' log probabilities: for two classes, the largest |logit|).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from carrousel.core.args import check_args
from carrousel.nlp.decision import decide
from carrousel.nlp.entities import escape_ampersands, unescape_entities
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.sentence_split import split_sentences

if TYPE_CHECKING:
    from carrousel.nlp.pipeline.sentiment import SentimentModel, SentimentPrediction

__all__ = ["DEFAULT_READING", "READINGS", "SentenceReading", "check_reading", "sentence_proba"]

READINGS = ("whole", "sentences", "truncated")  # what is read sentence by sentence: nothing, every text,
# only the texts longer than the model's max_length tokens
DEFAULT_READING = "truncated"  # prediction's and evaluation's default (the rule's adopted candidate, C2)


def check_reading(reading: str) -> str:
    """``reading`` when it is one of :data:`READINGS`: the one check of prediction's ``long=``, the configs'
    ``long`` and :func:`sentence_proba`'s ``reading`` (named ``long``, as the CLI and the configs name it).

    Raises:
        NLPConfigError: an unknown ``reading``.
    """
    if reading not in READINGS:
        raise NLPConfigError(f"long must be one of {', '.join(READINGS)}, not {reading!r}")
    return reading


@dataclass(frozen=True)
class SentenceReading:
    """Which texts of a batch are read sentence by sentence, and their sentences."""

    pieces: list[list[str]]  # per text: its sentences when it is read by sentence, else []

    @classmethod
    def plan(cls, texts: Sequence[str], cut: Sequence[bool], reading: str) -> SentenceReading:
        """The texts ``reading`` splits: ``sentences`` every one of several sentences, ``truncated`` those of
        several sentences that were ``cut``, ``whole`` none. A text is split as it is read, its HTML references
        read first (``"Great&#33; Really good."`` is two sentences); each sentence is kept with its ``&``
        escaped, so that the model's reading (:func:`carrousel.nlp.data.read_as`) gives it back as it was read,
        not read twice (``&amp;#39;`` stays ``&#39;``).

        Raises:
            NLPConfigError: an unknown ``reading``.
        """
        check_reading(reading)
        pieces = []
        for text, was_cut in zip(texts, cut, strict=True):
            parts = (
                split_sentences(unescape_entities(text))
                if reading == "sentences" or (reading == "truncated" and was_cut)
                else []
            )
            pieces.append([escape_ampersands(p) for p in parts] if len(parts) > 1 else [])
        return cls(pieces)

    @property
    def split(self) -> frozenset[int]:
        """The texts read by sentence (the others are read whole)."""
        return frozenset(i for i, parts in enumerate(self.pieces) if parts)

    @property
    def flat(self) -> list[str]:
        """Every sentence to read, text after text."""
        return [s for parts in self.pieces for s in parts]

    def _spans(self) -> list[tuple[int, int, int]]:
        """``(text, start, stop)`` of each split text's sentences in :attr:`flat`."""
        spans, start = [], 0
        for i, parts in enumerate(self.pieces):
            if parts:
                spans.append((i, start, start + len(parts)))
                start += len(parts)
        return spans

    def combine(self, probs: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
        """``probs`` ``(N, C)`` (the texts read whole) with each split text's row replaced by its sentences'
        (``flat``, ``(S, C)``) mean log probability, renormalised; and per split text the index in ``flat`` of
        its most decided sentence."""
        probs, picks = np.array(probs, copy=True), {}
        logp = np.log(np.clip(flat, 1e-12, 1.0))
        top2 = np.sort(logp, axis=1)[:, -2:] if logp.shape[1] > 1 else np.zeros((len(logp), 2))
        for i, start, stop in self._spans():
            mean = logp[start:stop].mean(axis=0)
            p = np.exp(mean - mean.max())
            probs[i] = p / p.sum()
            picks[i] = start + int(np.argmax(top2[start:stop, 1] - top2[start:stop, 0]))
        return probs, picks

    def still_cut(self, cut: Sequence[bool], flat_cut: Sequence[bool]) -> list[bool]:
        """Per text, whether what the model read was cut: a split text when one of its sentences was."""
        out = list(cut)
        for i, start, stop in self._spans():
            out[i] = any(flat_cut[start:stop])
        return out

    def merged(
        self,
        texts: Sequence[str],
        whole: list[SentimentPrediction],
        flat: list[SentimentPrediction],
        labels: list[str],
        threshold: float | None,
    ) -> list[SentimentPrediction]:
        """Per text of ``texts`` its prediction: the next of ``whole`` (those of the texts read whole, all but
        :attr:`split`, in order) or, for a split text, one made of its sentences' (``flat``): the combined
        probabilities and label, ``read="sentences"`` and their number, the tokens and attention of its most
        decided sentence, ``truncated`` when a sentence was cut, the unknown words mapped in all of them."""
        rows = np.asarray([[p.probabilities[name] for name in labels] for p in flat])
        probs, picks = self.combine(np.zeros((len(texts), len(labels))), rows)
        chosen = decide(probs, threshold)
        split = {i: (start, stop) for i, start, stop in self._spans()}
        out, read_whole = [], iter(whole)
        for i, text in enumerate(texts):
            if i not in split:
                out.append(next(read_whole))
                continue
            start, stop = split[i]
            shown, parts = flat[picks[i]], flat[start:stop]
            mapped = [p.unknown_words_mapped for p in parts]
            out.append(
                replace(
                    shown,  # its tokens and attention
                    text=text,
                    label=labels[int(chosen[i])],
                    probabilities={name: float(q) for name, q in zip(labels, probs[i], strict=True)},
                    truncated=any(p.truncated for p in parts),
                    unknown_words_mapped=None if mapped[0] is None else sum(m or 0 for m in mapped),
                    read="sentences",
                    sentences=stop - start,
                )
            )
        return out


@check_args
def sentence_proba(
    model: SentimentModel, texts: Iterable[str], reading: str = "sentences", batch_size: int = 64
) -> np.ndarray:
    """Class probabilities ``(N, C)`` of ``texts``, each read sentence by sentence where ``reading`` says
    (:meth:`SentimentModel.predict_proba` with ``long=reading``).

    Args:
        model: a loaded sentiment model.
        texts: the texts (as :meth:`SentimentModel.predict_proba` takes them).
        reading: ``whole`` (the model's own reading), ``sentences`` (every text of more than one sentence)
            or ``truncated`` (only the texts the model would cut at its ``max_length``).
        batch_size: texts (or sentences) per forward pass.

    Returns:
        ``(N, C)`` probabilities in the order of ``model.labels``; a one-sentence text gets exactly its
        whole-text probabilities.

    Raises:
        NLPConfigError: an unknown ``reading``.
    """
    return model.predict_proba(texts, batch_size, long=reading)  # it refuses an unknown reading first
