"""Word and character error rates (jiwer) on normalised transcripts, corpus-wide and per utterance.

WER = (substitutions + deletions + insertions) / reference words, summed over the corpus (not a mean
of per-utterance rates); CER the same over characters, spaces included. Both texts are normalised
first, by the same function (:func:`carrousel.speech.text.number_readings`): a digit string written
in a transcript ("7392") can be spoken as a number or digit by digit, so each side has a reading per
way, and the hypothesis is scored against the reference reading it matches best (fewest word, then
character errors; ties keep the number reading). Number words are never turned into digits (so, unlike
Whisper's ``EnglishTextNormalizer``, "seven three nine two" and "seven thousand three hundred ninety
two" written in words stay different, as they are spoken differently).

An empty reference (a recording without speech) is scored as jiwer and sclite do: every word of the
hypothesis is an insertion (its utterance WER is that count; nothing is 0), added to the corpus errors
while the corpus's reference words stay those of the speech; :class:`ErrorCounts` counts these
utterances and those transcribed as nothing apart (``no_speech``, ``no_speech_empty``).

"oh" and "zero" are one word in digit strings (as TIDIGITS scoring counts them): on both sides, an "oh"
within a run of digit words ("zero" to "nine", and "oh") holding at least one other digit word is scored
as "zero" ("room 101", normalised "room one zero one", against "room one oh one": WER 0, was 0.25). An
"oh" not next to a digit word ("oh no") stays "oh", unless it stands where the reference says "zero" (a
TIDIGITS utterance of one digit, "0" or "zero", said "oh"). The scored reference writes such a zero as the
hypothesis says it where they align (:func:`zeros_as_said`), so the texts shown are as said.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import jiwer

from carrousel.speech.errors import TranscriptError
from carrousel.speech.text import normalize, number_readings
from carrousel.speech.vocab import DIGITS

__all__ = ["ErrorCounts", "UtteranceScore", "digit_zeros", "error_rates", "score_utterance", "zeros_as_said"]


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
    no_speech: int = 0  # utterances without speech (empty reference): their words are insertions
    no_speech_empty: int = 0  # of those, transcribed as nothing (correct)


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


def score_utterance(
    path: str, reference: str, hypothesis: str, readings: Sequence[str] = ()
) -> UtteranceScore:
    """Errors of one transcription against its reference (both normalised here, see the module).

    Args:
        path: the recording.
        reference: the reference transcript.
        hypothesis: the transcription.
        readings: other readings of an already normalised reference (``Utterance.readings``).

    Raises:
        TranscriptError: the reference or the hypothesis is not a string (None, NaN: a missing cell).
    """
    for name, text in (("reference", reference), ("hypothesis", hypothesis)):
        if not isinstance(text, str):  # before: normalize()'s TypeError
            raise TranscriptError(
                f"{path}: {name} is {text!r:.40}, not text; give a string ('' for a recording without speech)"
            )
    refs = dict.fromkeys([*number_readings(reference), *(normalize(r) for r in readings)])
    ref, hyp, words, chars = min(
        (_aligned(zeros_as_said(r, h), h) for r in refs for h in number_readings(hypothesis)),
        key=lambda a: (_edits(a[2]), _edits(a[3])),
    )
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


def digit_zeros(text: str) -> str:
    """``text`` (normalised) with each "oh" in a run of digit words that holds another digit word read
    "zero": ``"room one oh one"`` -> ``"room one zero one"``, ``"oh oh seven"`` -> ``"zero zero seven"``;
    ``"oh no"`` and a lone ``"oh"`` stay."""
    words = text.split()
    out, run = [], []
    for word in [*words, ""]:  # "" ends the last run
        if word == "oh" or word in DIGITS:
            run.append(word)
            continue
        zero = any(w != "oh" for w in run)
        out += ["zero" if zero and w == "oh" else w for w in run]
        run = []
        if word:
            out.append(word)
    return " ".join(out)


def zeros_as_said(reference: str, hypothesis: str) -> str:
    """``reference`` (normalised) with each digit-string zero written as the ``hypothesis`` says it where
    their words align once both read "oh" as :func:`digit_zeros` does (``"room one zero one"`` against
    ``"room one oh one"``: ``"room one oh one"``), and where a lone "oh" stands for its "zero" (``"zero"``,
    a digit in a reference, against ``"oh"``): scored as one word, shown as said. Elsewhere the reference
    keeps its own word (a TIDIGITS "oh" against a hypothesis saying neither stays "oh": rewritten "zero", its
    character errors grew, CER 0.385 -> 0.401 on ``sample:tidigits``)."""
    out, said = reference.split(), hypothesis.split()
    ref, hyp = digit_zeros(reference).split(), digit_zeros(hypothesis).split()  # word for word: same lengths
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        for i in range(i1, i2) if op in ("equal", "replace") and i2 - i1 == j2 - j1 else ():
            if ref[i] == "zero" and hyp[j1 + i - i1] in ("zero", "oh"):  # the reference says a digit
                out[i] = said[j1 + i - i1]
    return " ".join(out)


def _aligned(ref: str, hyp: str) -> tuple[str, str, Any, Any]:
    """``(ref, hyp, word alignment, character alignment)`` of ``hyp`` against ``ref`` (jiwer's outputs)."""
    return (
        ref,
        hyp,
        jiwer.process_words(ref, hyp),
        jiwer.process_characters(ref, hyp),
    )


def _edits(alignment: Any) -> int:
    """Substitutions, deletions and insertions of a jiwer alignment."""
    return int(alignment.substitutions + alignment.deletions + alignment.insertions)


def error_rates(scores: Iterable[UtteranceScore]) -> ErrorCounts:
    """Corpus WER and CER from per-utterance scores (errors summed, then divided); any iterable of them (a
    generator is read once: before, its second pass met it empty, a jiwer length mismatch)."""
    scores = list(scores)
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
        no_speech=sum(not s.reference for s in scores),
        no_speech_empty=sum(not s.reference and not s.hypothesis for s in scores),
    )
