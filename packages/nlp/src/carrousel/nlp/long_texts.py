"""Reading a text of several sentences with a sentiment model trained on single sentences.

A model trained on sentences reads a whole review as one long sentence, and one longer than its
``max_length`` tokens is cut. :func:`sentence_proba` reads each sentence
(:func:`carrousel.nlp.sentence_split.split_sentences`) on its own and takes the mean of their log
probabilities, renormalised (for two classes: the mean of the sentences' logits, so a text's odds are the
geometric mean of its sentences'). The stored decision cut is then applied to the result as to any text's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from carrousel.core.args import check_args
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.sentence_split import split_sentences

if TYPE_CHECKING:
    from carrousel.nlp.pipeline.sentiment import SentimentModel

__all__ = ["READINGS", "sentence_proba"]

READINGS = ("whole", "sentences", "truncated")  # what is read sentence by sentence: nothing, every text,
# only the texts longer than the model's max_length tokens


@check_args
def sentence_proba(
    model: SentimentModel, texts: Iterable[str], reading: str = "sentences", batch_size: int = 64
) -> np.ndarray:
    """Class probabilities ``(N, C)`` of ``texts``, each read sentence by sentence where ``reading`` says.

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
    if reading not in READINGS:
        raise NLPConfigError(f"reading must be one of {', '.join(READINGS)}, got {reading!r}")
    texts = list(texts)
    if reading == "whole" or not texts:
        return model.predict_proba(texts, batch_size)
    whole = model(texts, batch_size, warn=False)
    probs = np.asarray([[p.probabilities[label] for label in model.labels] for p in whole])
    pieces = [split_sentences(t) for t in texts]
    todo = [i for i, p in enumerate(pieces) if len(p) > 1 and (reading == "sentences" or whole[i].truncated)]
    if not todo:
        return probs
    flat = model.predict_proba([s for i in todo for s in pieces[i]], batch_size)
    logp = np.log(np.clip(flat, 1e-12, 1.0))
    start = 0
    for i in todo:
        mean = logp[start : start + len(pieces[i])].mean(axis=0)
        start += len(pieces[i])
        p = np.exp(mean - mean.max())
        probs[i] = p / p.sum()
    return probs
