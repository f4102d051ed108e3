"""What transcription returns: :class:`Transcript` per recording, :class:`Partial` per streaming update."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from carrousel.core.args import check_args
from carrousel.speech.decoding import Hypothesis, Word
from carrousel.speech.errors import AudioError

__all__ = ["Partial", "Transcript", "blank_mean", "skipped", "within_recording"]


@dataclass(frozen=True)
class Transcript:
    """The transcription of one recording."""

    path: str  # the file
    text: str  # best transcription
    words: tuple[Word, ...]  # its words with times (s) and confidences
    seconds: float  # duration of the recording
    alternatives: tuple[Hypothesis, ...] = ()  # N-best (when asked for; short recordings)
    blank_confidence: float = 0.0  # mean blank posterior over the frames (0.0: no frames)
    error: str | None = None  # why the file was skipped (``skip_errors``); then text and words are empty
    trained_precision: str | None = "fp32"  # the model's training arithmetic (Recognizer.precisions)
    precision: str = "fp32"  # what the network ran in (the run's, or an exported bundle's ONNX file's)

    @property
    def confidence(self) -> float:
        """Mean word confidence, in [0, 1]; for an empty transcription ``blank_confidence``, the mean
        CTC blank posterior of its frames: how sure the model is that nothing was said (near 1 for a
        pause, low for sound it could not read; 0.0 for a file too short for one frame: no evidence).
        Rounded to 4 places, as the words' confidences are (their mean would show float noise)."""
        if self.words:
            return round(float(np.mean([w.confidence for w in self.words])), 4)
        return self.blank_confidence


@dataclass(frozen=True)
class Partial:
    """One streaming update."""

    time: float  # seconds of audio consumed so far
    text: str  # the current segment so far (the whole transcript in the final update)
    final: bool = False  # the last update (end of the stream)
    words: tuple[Word, ...] = field(default_factory=tuple)  # words with times (final update only)
    trained_precision: str | None = None  # the model's training arithmetic (``speech stream``: every update)
    precision: str | None = None  # what the network ran in (as Transcript's; ``speech stream``: every update)
    segment_end: bool = False  # the segment is closed (a pause, or SEGMENT_WORDS words): its text is final


def skipped(path: str, exc: AudioError | OSError) -> Transcript:
    """The place-holder transcript of a file that could not be transcribed (its ``error`` says why)."""
    why = f"{path}: {exc.strerror or exc}; check the path" if isinstance(exc, OSError) else str(exc)
    return Transcript(path, "", (), 0.0, error=" ".join(why.split()))


@check_args
def blank_mean(lp: np.ndarray, blank: int) -> float:
    """Mean posterior of the blank over the ``(T, C)`` log-probabilities' frames (0.0 for no frame)."""
    return round(float(np.exp(lp[:, blank]).mean()), 4) if len(lp) else 0.0


@check_args
def within_recording(words: Sequence[Word], seconds: float) -> tuple[Word, ...]:
    """``words`` with no time past ``seconds``, the recording's end. The network's output frames are
    ``ceil(feature frames / subsample)``, so the last one can end past the audio (up to 5 ms for 30 ms
    frames): a word said up to the end of a recording cut at its last sound ended there (``end`` 0.660 s
    in a 0.6575 s file)."""
    end = math.floor(seconds * 1000) / 1000  # times are in ms: rounded down, still within
    return tuple(w if w.end <= seconds else replace(w, start=min(w.start, end), end=end) for w in words)
