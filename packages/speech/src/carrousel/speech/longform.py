"""Long recordings, transcribed in overlapping chunks read block by block (memory bounded by the chunk).

A recording longer than one chunk (``chunk_seconds`` plus the :data:`OVERLAP` of context read on each side)
is read by :func:`carrousel.speech.audio.iter_chunks`; the frames of each chunk's centre are joined (two
chunks at a frame near their boundary where both read the same letters, :func:`_seam`) and cut for
decoding at pauses (long runs of blank frames), so no frame is decoded twice. After each chunk an
optional :data:`ChunkProgress` callback hears how many seconds of the recording are done (the CLI draws
its bar from it; this module only logs).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.speech.audio import SILENCE_PEAK, audio_info, iter_chunks, speech_bounds
from carrousel.speech.config import DecodeConfig
from carrousel.speech.decoding import Word, decode, start_at_sound
from carrousel.speech.errors import AudioError, SilentAudioError
from carrousel.speech.lm import WordLM
from carrousel.speech.text import Alphabet
from carrousel.speech.transcripts import Transcript, within_recording

if TYPE_CHECKING:
    from carrousel.speech.recognizer import Recognizer

__all__ = [
    "OVERLAP",
    "ChunkProgress",
    "Progress",
    "blank_frames",
    "chunked_seconds",
    "no_progress",
    "reads_in_chunks",
    "sound_span",
    "transcribe_long",
    "transcription_progress",
]

logger = logging.getLogger(__name__)

OVERLAP = 1.0  # seconds of context read on each side of a chunk of a long recording
SEAM = OVERLAP / 2  # two chunks' frames join within this of their parts' boundary (_seam)
SEAM_CONTEXT = 3  # frames either side of a seam where the two chunks' labels must match (moved)
SURE_BLANK_OTHERS = -30.0  # log-prob of every other class in a trimmed silence's frames (blank: 0)
ChunkProgress = Callable[[float, float], None]  # (seconds of the recording done, its seconds), per chunk
# progress(description, total) -> a context manager yielding advance(n): the CLI's core.cli.progress
Progress = Callable[[str, float | None], AbstractContextManager[Callable[[float], None]]]


def reads_in_chunks(path: str, seconds: float, chunk_seconds: float) -> bool:
    """Whether a recording of ``seconds`` is transcribed in chunks (not a Sphinx ``.mfc`` feature file)."""
    return seconds > chunk_seconds + OVERLAP and not path.endswith(".mfc")


def chunked_seconds(path: str, chunk_seconds: float) -> float | None:
    """The length of ``path`` when transcription reads it in chunks, else None (short, a ``.mfc`` file, or
    unreadable: its error comes when it is transcribed)."""
    if path.endswith(".mfc"):
        return None
    try:
        seconds = audio_info(path).seconds
    except (AudioError, OSError):
        return None
    return seconds if reads_in_chunks(path, seconds, chunk_seconds) else None


@contextlib.contextmanager
def transcription_progress(
    progress: Progress | None, paths: Sequence[str], chunk_seconds: float
) -> Iterator[tuple[Callable[[float], None], ChunkProgress | None]]:
    """The progress of transcribing ``paths``: a bar over the files when there are several; over the seconds
    of audio of one file read in chunks (moved chunk by chunk); none for one short file.

    Args:
        progress: ``progress(description, total)`` -> context manager yielding ``advance(n)`` (the CLI's
            :func:`carrousel.core.cli.progress`), or None for no bar.
        paths: the recordings, in order.
        chunk_seconds: the chunk length of long recordings.

    Yields:
        ``(advance, on_chunk)``: ``advance(1)`` after each file, and the ``on_chunk`` to give
        :meth:`Recognizer.transcribe_files` (None when the bar counts files).
    """
    long = chunked_seconds(paths[0], chunk_seconds) if len(paths) == 1 else None
    if progress is None or (long is None and len(paths) < 2):
        yield _ignore, None
    elif long is None:
        with progress("transcribing", float(len(paths))) as advance:
            yield advance, None
    else:
        with progress("transcribing (s of audio)", long) as advance:
            yield _ignore, _seconds(advance)


def _ignore(n: float) -> None:
    """An ``advance(n)`` moving nothing."""


@contextlib.contextmanager
def no_progress(description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
    """The :data:`Progress` of no bar: ``(progress or no_progress)(description, total)``."""
    yield _ignore


def _seconds(advance: Callable[[float], None]) -> ChunkProgress:
    """A :data:`ChunkProgress` moving a bar's ``advance(n)`` by the seconds done since its last call."""
    done = [0.0]

    def on_chunk(position: float, seconds: float) -> None:
        advance(position - done[0])
        done[0] = position

    return on_chunk


@check_args
def transcribe_long(
    recognizer: Recognizer,
    path: str,
    cfg: DecodeConfig,
    lm: WordLM | None,
    chunk_seconds: float,
    seconds: float,
    on_chunk: ChunkProgress | None = None,
    trim: bool = True,
) -> Transcript:
    """Transcribes the recording ``path`` (``seconds`` long) in chunks of ``chunk_seconds``, taken to whole
    output frames (5 s: 167 frames of 30 ms, 5.01 s), so every chunk starts on the recording's frame grid.

    ``on_chunk(position, seconds)`` is called after each chunk, ``position`` (seconds of the recording
    done) increasing and ending at ``seconds``. Long recordings have no N-best alternatives. ``trim``
    leaves each chunk's leading and trailing silence out of its features, as a short file's (its frames
    are blank): the network emits a word's first letter at the first frame it is given, so a chunk
    starting in a long silence put it there (a word "seven" timed from 0 s when said at 2 s, or its "s"
    dropped with the chunk's context frames).

    Raises:
        AudioError: the file cannot be read, or is silent (:class:`SilentAudioError`).
    """
    sr, fs, blank = recognizer.features.sample_rate, recognizer.frame_seconds, recognizer.alphabet.blank
    # chunks start on the output frames' grid: parts of ``per`` frames, ``context`` frames read either side
    # (before: chunk_seconds and OVERLAP as given, a chunk's first frame up to a third of a frame off the
    # recording's, its emissions for samples 10 ms apart from the whole file's)
    per, context = max(1, round(chunk_seconds / fs)), round(OVERLAP / fs)
    step = recognizer.frame_samples
    cfg = replace(cfg, nbest=1)  # long recordings have no alternatives: no wider N-best search per chunk
    words: list[Word] = []
    pending = np.zeros((0, recognizer.alphabet.size), np.float32)
    offset, loud, done = 0, False, 0.0
    blank_sum, frames = 0.0, 0
    sounds: list[tuple[float, float]] = []  # (trimmed audio's start, its sound's start): start_at_sound
    holds: list[tuple[int, int]] = []  # recording frames (trimmed start, sound's start): never cut between
    # the last chunk's frames from SEAM before its part's end, not yet joined: the next chunk takes over
    # where both read the same letters (tail_at: the recording frame of tail[0])
    tail, tail_at = np.zeros((0, recognizer.alphabet.size), np.float32), 0
    width = min(round(SEAM / fs), per // 4)

    def join(rows: np.ndarray) -> None:
        nonlocal pending, blank_sum, frames
        pending = np.concatenate([pending, rows])
        blank_sum += float(np.exp(rows[:, blank]).sum())
        frames += len(rows)

    for k, (start, x) in enumerate(iter_chunks(path, sr, per * step / sr, context * step / sr)):
        loud = loud or float(np.max(np.abs(x - x.mean()))) >= SILENCE_PEAK
        lp, lead, onset = _chunk_log_probs(recognizer, x, trim)
        # the chunk's part: the recording's frames [k * per, (k + 1) * per), so the parts join without a
        # gap or overlap; the chunk's first frame is the recording's frame ``first`` (nearest it when the
        # file's rate is not the model's: resampled, its chunks start within a sample of the grid)
        first = round(start / step)
        lo = max(0, k * per - first)
        hi = max(lo, (k + 1) * per - first)
        if k:  # the seam with the chunk before: its tail's frames up to it join first
            seam = first + lo
            if lead + width <= lo and tail_at >= first:  # the chunk's own frames span the seam's window
                seam = tail_at + _seam(
                    tail, lp[tail_at - first : tail_at - first + len(tail)], blank, seam - tail_at
                )
            join(tail[: max(0, seam - tail_at)])
            lo = seam - first
        if trim and lead < lo <= onset / fs:  # its sound starts in its part, its margin before it
            # the network emits the first letter at the trimmed audio's first frame, in the margin before
            # the sound: there, in the part before, it was dropped ("eight" read "ight" when said within
            # 0.3 s after a chunk's start). The margin's frames come from this chunk: the part before
            # gives up its last frames (silence to both chunks), those not yet decoded. The sound follows
            # at least OVERLAP (>= WORD_PAUSE) of silence, where words end: what is pending is decoded
            # apart, so the early letter never joins the word before it
            back = min(lo - lead, len(pending))
            blank_sum -= float(np.exp(pending[len(pending) - back :, blank]).sum())
            pending, frames, lo = pending[: len(pending) - back], frames - back, lo - back
            if len(pending):
                words.extend(_decode(recognizer, pending, cfg, lm, offset, holds))
                pending, offset = pending[:0], offset + len(pending)
        if lo <= lead and onset < hi * fs:  # this chunk's part holds where its sound starts (untrimmed: 0)
            sounds.append(((first + lead - 0.5) * fs, first * fs + onset))
        if trim and lo <= lead < min(hi, onset / fs):  # its early first letter is in its part
            # the letter at the trimmed start, blank frames to the sound: a cut there read "s even"
            holds.append((first + lead, first + math.ceil(onset / fs)))
        own = max(lo, hi - width)  # its frames from here wait for the next chunk's seam
        join(lp[lo:own])
        tail, tail_at = lp[own : hi + width], first + own
        if len(pending) >= per:  # a chunk's frames
            holds = [(b, e) for b, e in holds if e >= offset]
            cut = _cut_point(pending, blank, [(b - offset, e - offset) for b, e in holds])
            if cut:  # 0: a word's early first letter starts the frames: they wait for the word
                words.extend(_decode(recognizer, pending[:cut], cfg, lm, offset, holds))
                pending, offset = pending[cut:], offset + cut
        done = _report(on_chunk, done, min((k + 1) * per * fs, seconds), seconds)
        logger.debug("%s: %.0f of %.0f s transcribed", path, done, seconds)
    if not loud:
        raise SilentAudioError(f"{path} is silent (peak below -60 dBFS); check the recording level")
    join(tail[: max(0, first + hi - tail_at)])  # the last chunk's frames to its part's end
    if len(pending):
        words.extend(_decode(recognizer, pending, cfg, lm, offset, holds))
    _report(on_chunk, done, seconds, seconds)  # the end, whatever the last chunk's rounding
    words = list(within_recording(start_at_sound(words, sounds), seconds))
    text = " ".join(w.word for w in words)
    return Transcript(
        path, text, tuple(words), seconds, blank_confidence=round(blank_sum / max(frames, 1), 4)
    )


def _decode(
    recognizer: Recognizer,
    lp: np.ndarray,
    cfg: DecodeConfig,
    lm: WordLM | None,
    offset: int,
    holds: Sequence[tuple[int, int]],
) -> tuple[Word, ...]:
    """The words of the recording's frames ``lp`` from frame ``offset``. Frames that start at a trimmed
    chunk's start (a hold's) have their sound that many frames in: an early first letter there stays only
    with a word said within WORD_PAUSE of that sound (before: any word, ``g`` + ``sheila`` 2 s later)."""
    fs = recognizer.frame_seconds
    sound = next(((e - b) * fs for b, e in holds if b == offset), None)
    return decode(lp, recognizer.alphabet, cfg, fs, lm, offset * fs, sound)[0].words


def _chunk_log_probs(recognizer: Recognizer, x: np.ndarray, trim: bool) -> tuple[np.ndarray, int, float]:
    """``(T, C)`` log-probs of a chunk's samples ``x``; with ``trim``, of its sound only, the frames of the
    silence either side blank, ``T`` the untrimmed chunk's frame count (before: the two silences rounded
    apart, one frame more or less in about a quarter of the chunks). The trimmed audio starts on the output
    frames' grid, its frames the untrimmed chunk's. With them the first frame of the trimmed audio
    (0 untrimmed) and the seconds where its sound starts."""
    step = recognizer.frame_samples
    start, end, onset = sound_span(x, recognizer.features.sample_rate, trim)
    start = start // step * step  # on the frames' grid, as the chunk (a margin up to a frame longer)
    lp = recognizer.log_probs([recognizer.input_features(x[start:end])])[0]
    if (start, end) == (0, len(x)):
        return lp, 0, onset
    n = int(recognizer.model.output_lengths(torch.tensor([recognizer.extractor.num_frames(len(x))]))[0])
    lead = min(start // step, n)
    lp = lp[: n - lead]  # at most the last frame of the trailing margin (silence) goes
    alphabet = recognizer.alphabet
    padded = np.concatenate([blank_frames(lead, alphabet), lp, blank_frames(n - lead - len(lp), alphabet)])
    return padded, lead, onset


@check_args
def blank_frames(n: int, alphabet: Alphabet) -> np.ndarray:
    """``n`` frames of log-probabilities sure of the blank (:data:`SURE_BLANK_OTHERS`): a trimmed silence's,
    of a long file's chunk and of a stream's leading silence (:mod:`carrousel.speech.streaming`)."""
    lp = np.full((n, alphabet.size), SURE_BLANK_OTHERS, np.float32)
    lp[:, alphabet.blank] = 0.0
    return lp


@check_args
def sound_span(x: np.ndarray, rate: int, trim: bool) -> tuple[int, int, float]:
    """The samples ``[start, end)`` of ``x`` that transcription reads and the seconds where its sound starts:
    with ``trim``, its sound with a margin of silence either side
    (:func:`~carrousel.speech.audio.speech_bounds`), else all of it; and, either way, that sound's first
    sample (untrimmed too: the network emits the first letter at the first frame it is given, so with
    ``--no-trim`` the first word was timed from 0 s however late its sound began).
    A short file's features and a long one's chunks alike (:class:`~carrousel.speech.recognizer.Recognizer`)."""
    onset = speech_bounds(x, rate, margin=0.0)[0] / rate
    if not trim:
        return 0, len(x), onset
    start, end = speech_bounds(x, rate)
    return start, end, onset


def _report(on_chunk: ChunkProgress | None, done: float, position: float, seconds: float) -> float:
    """Calls ``on_chunk`` when ``position`` is past ``done``; the seconds done now."""
    if position <= done:
        return done
    if on_chunk is not None:
        on_chunk(position, seconds)
    return position


def _cut_point(lp: np.ndarray, blank: int, holds: Sequence[tuple[int, int]] = ()) -> int:
    """Where to cut frames for decoding: the middle of the longest confident-blank run in the second half.

    Never within a hold ``(begin, end)``: a word's early first letter (emitted at the first frame of a
    trimmed chunk, ``begin``) and the blank frames after it to its sound (``end``) and on to its next
    letter. With 1 s of frames searched, the run after the letter was often the longest: "s even",
    "t hree"; without it, a blank inside the word ("thre e"). The silence before such a letter (all of
    its run, in either half) is a candidate too; a cut still within a hold (all the frames, when no run
    is found) goes before the letter."""
    half = len(lp) // 2
    is_blank = lp[:, blank] > np.log(0.95)
    runs = [(max(start, half), stop) for start, stop in _blank_runs(is_blank) if stop > half]
    spans = []
    for begin, end in holds:
        begin, end = max(begin, 0), max(end, begin, 0)
        while end < len(lp) and is_blank[end]:  # the network hears the sound a few frames late
            end += 1
        spans.append((begin, end))
        runs = [r for r in runs if r[1] <= begin or r[0] > end]  # a run is blank: within or without
        runs += [r for r in _blank_runs(is_blank) if r[1] == begin and begin > 0]  # the silence before
    best, best_len = len(lp), 0
    for start, stop in runs:
        if stop - start > best_len:
            best, best_len = (start + stop) // 2, stop - start
    for begin, end in spans:
        if begin < best <= end:
            best = begin
    return best


def _seam(before: np.ndarray, after: np.ndarray, blank: int, middle: int) -> int:
    """Where the frames of two chunks join, counted from the start of ``before`` (the first chunk's frames
    around their parts' boundary, frame ``middle``) and ``after`` (the next chunk's same frames).

    The two chunks emit a letter a frame or two apart (a chunk starting mid-word hears it from another
    context; until 2026-12 its first frame was also up to a third of a frame off the recording's): joined
    at the fixed boundary, a letter (or the space) emitted just after it by the first chunk and just before it by the
    next was in neither part ("four" said at 5.0 s with chunks of 5 s read "our", "eight" "ight"), or in
    both. The seam is the frame nearest the boundary around which the next chunk's greedy labels are the
    first's moved by 0, 1 or 2 frames (either way) and the joined labels read as the first chunk's there
    (no letter skipped or said twice); else the middle of the longest run of frames blank in both; else the
    boundary."""
    n = min(len(before), len(after))
    a, b = before[:n].argmax(axis=1), after[:n].argmax(axis=1)
    middle = min(middle, n)
    r = SEAM_CONTEXT
    for t in sorted(range(r + 2, n - r - 1), key=lambda t: abs(t - middle)):
        for d in (0, 1, -1, 2, -2):  # after[i] is before[i - d]
            if (b[t - r : t + r] == a[t - r - d : t + r - d]).all() and _letters(
                np.concatenate([a[t - r : t], b[t : t + r]]), blank
            ) == _letters(a[t - r : t + r - d], blank):
                return t
    runs = _blank_runs((a == blank) & (b == blank))
    if not runs:
        return middle
    start, stop = max(runs, key=lambda run: (run[1] - run[0], -abs((run[0] + run[1]) // 2 - middle)))
    return (start + stop) // 2


def _letters(labels: np.ndarray, blank: int) -> list[int]:
    """The greedy CTC reading of frame labels: repeats collapsed, blanks dropped."""
    keep = np.r_[True, labels[1:] != labels[:-1]] & (labels != blank) if len(labels) else labels > 0
    return [int(c) for c in labels[keep]]


def _blank_runs(is_blank: np.ndarray) -> list[tuple[int, int]]:
    """The ``[start, stop)`` frame spans of the runs of ``True`` in ``is_blank``, in order."""
    edges = np.flatnonzero(np.diff(np.r_[False, is_blank, False].astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
