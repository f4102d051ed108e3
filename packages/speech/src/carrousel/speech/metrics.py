"""Word and character error rates (jiwer) on normalised transcripts, corpus-wide and per utterance.

WER = (substitutions + deletions + insertions) / reference words, summed over the corpus (not a mean
of per-utterance rates); CER the same over characters, spaces included. Both texts are normalised
first (:func:`carrousel.speech.text.normalize`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jiwer

from carrousel.speech.text import normalize

__all__ = ["ErrorCounts", "UtteranceScore", "error_rates", "score_utterance"]


@dataclass(frozen=True)
class ErrorCounts:
    """Corpus error rates."""

    wer: float  # word error rate
    cer: float  # character error rate
    sentence_error_rate: float  # share of utterances with at least one word error
    words: int  # reference words
    chars: int  # reference characters
    substitutions: int  # word substitutions
    deletions: int  # word deletions
    insertions: int  # word insertions


@dataclass(frozen=True)
class UtteranceScore:
    """Errors of one utterance."""

    path: str  # the recording
    reference: str  # normalised reference
    hypothesis: str  # normalised transcription
    wer: float  # word error rate of this utterance
    cer: float  # character error rate of this utterance
    substitutions: int  # word substitutions
    deletions: int  # word deletions
    insertions: int  # word insertions


def score_utterance(path: str, reference: str, hypothesis: str) -> UtteranceScore:
    """Errors of one transcription against its reference (both normalised here)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    words = jiwer.process_words(ref or "<empty>", hyp)
    chars = jiwer.process_characters(ref or "<empty>", hyp)
    return UtteranceScore(
        path,
        ref,
        hyp,
        round(words.wer, 6),
        round(chars.cer, 6),
        words.substitutions,
        words.deletions,
        words.insertions,
    )


def error_rates(scores: Sequence[UtteranceScore]) -> ErrorCounts:
    """Corpus WER and CER from per-utterance scores (errors summed, then divided)."""
    if not scores:
        return ErrorCounts(0.0, 0.0, 0.0, 0, 0, 0, 0, 0)
    words = jiwer.process_words([s.reference for s in scores], [s.hypothesis for s in scores])
    chars = jiwer.process_characters([s.reference for s in scores], [s.hypothesis for s in scores])
    n_words = sum(len(s.reference.split()) for s in scores)
    return ErrorCounts(
        wer=round(words.wer, 6),
        cer=round(chars.cer, 6),
        sentence_error_rate=round(sum(s.wer > 0 for s in scores) / len(scores), 6),
        words=n_words,
        chars=sum(len(s.reference) for s in scores),
        substitutions=words.substitutions,
        deletions=words.deletions,
        insertions=words.insertions,
    )
