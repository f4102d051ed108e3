"""Greedy CTC decoding of a live stream, kept incrementally and shown segment by segment.

:class:`GreedyStream` extends the greedy path with each chunk's new frames only (a repeat across the chunk
boundary is collapsed with the previous chunk's last frame), so the work per chunk does not grow with the
text so far. Its text is cut into segments, as live recognisers present results (Vosk's partial result
of the current utterance, then its result once): a segment ends at a pause (:data:`PAUSE_SECONDS` of blank
frames after some text) or at the word space after :data:`SEGMENT_WORDS` words, so a partial update holds
at most that many words. A greedy path of a causal model never changes what it has emitted, so a closed
segment's text is final. The recording's transcript is decoded once, from every frame, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.speech.audio import read_audio
from carrousel.speech.config import DecodeConfig
from carrousel.speech.decoding import decode
from carrousel.speech.errors import AudioError
from carrousel.speech.longform import Progress, no_progress
from carrousel.speech.text import Alphabet
from carrousel.speech.transcripts import Partial, within_recording

if TYPE_CHECKING:
    from carrousel.speech.recognizer import Recognizer

__all__ = [
    "PAUSE_SECONDS",
    "SEGMENT_WORDS",
    "GreedyStream",
    "refuse_features",
    "stream_file",
    "transcribe_stream",
]

PAUSE_SECONDS = 0.5  # blank frames after some text for this long close a segment
SEGMENT_WORDS = 16  # a segment also closes at the word space after this many words


class GreedyStream:
    """The greedy path of a stream, extended chunk by chunk; the current segment's text.

    Args:
        alphabet: the model's alphabet (class 0 the blank).
        frame_seconds: seconds per output frame (for :data:`PAUSE_SECONDS`).
    """

    @check_args
    def __init__(self, alphabet: Alphabet, frame_seconds: float) -> None:
        self.alphabet = alphabet
        self.pause_frames = max(1, round(PAUSE_SECONDS / frame_seconds))
        self.previous = -1  # the last frame's best class (-1: none yet)
        self.labels: list[int] = []  # the current segment's collapsed non-blank classes
        self.blanks = 0  # blank frames since the last non-blank one
        self.frames_decoded = 0  # frames seen by the last push (the work of one chunk)

    @property
    def text(self) -> str:
        """The current segment's text (as :meth:`Alphabet.decode` writes it)."""
        return self.alphabet.decode(self.labels)

    def push(self, log_probs: np.ndarray) -> tuple[list[str], bool]:
        """Extends the path with a chunk's new ``(T, C)`` log-probabilities.

        Returns:
            ``(closed, changed)``: the texts of the segments this chunk closed (each returned once), and
            whether the current segment's labels changed.
        """
        self.frames_decoded = len(log_probs)
        closed: list[str] = []
        changed = False
        blank, space = self.alphabet.blank, self.alphabet.space
        for label in log_probs.argmax(axis=1).tolist() if len(log_probs) else []:
            repeat, self.previous = label == self.previous, label
            if label == blank:
                self.blanks += 1
                if self.blanks == self.pause_frames and self.text:
                    closed.append(self._close())
                continue
            self.blanks = 0
            if repeat:
                continue
            if label == space and len(self.text.split()) >= SEGMENT_WORDS:
                closed.append(self._close())
                continue
            self.labels.append(label)
            changed = True
        return closed, changed

    def _close(self) -> str:
        """Ends the current segment; returns its text."""
        text, self.labels = self.text, []
        return text


def refuse_features(path: str) -> None:
    """Refuses a Sphinx ``.mfc`` feature file (before the model loads; soundfile would say "Format not
    recognised").

    Raises:
        AudioError: ``path`` ends in ``.mfc``.
    """
    if path.lower().endswith(".mfc"):
        raise AudioError(
            f"{path} is a Sphinx .mfc feature file, but 'speech stream' takes audio only (WAV, FLAC, OGG); "
            "decode .mfc feature files with 'speech transcribe'"
        )


@check_args
def stream_file(
    recognizer: Recognizer, path: str, chunk_ms: float, max_seconds: float, progress: Progress | None = None
) -> Iterator[Partial]:
    """Feeds the recording ``path`` to :meth:`Recognizer.stream` in ``chunk_ms`` chunks as if live.

    Args:
        recognizer: a streaming recogniser.
        path: the recording (read whole, resampled to the model's rate).
        chunk_ms: audio per chunk (ms).
        max_seconds: refuse a longer recording.
        progress: ``progress(description, total)`` -> context manager yielding ``advance(n)``: a bar over
            the recording's seconds of audio, moved after each chunk (None: no bar).

    Yields:
        The recogniser's updates.
    """
    sr = recognizer.features.sample_rate
    audio = read_audio(path, sr, max_seconds)
    step = max(1, round(chunk_ms / 1000 * sr))
    with (progress or no_progress)("streaming (s of audio)", round(len(audio) / sr, 3)) as advance:

        def chunks() -> Iterator[np.ndarray]:
            for i in range(0, len(audio), step):
                yield audio[i : i + step]
                advance(len(audio[i : i + step]) / sr)  # once the recogniser asks for the next chunk

        yield from recognizer.stream(chunks())


def transcribe_stream(recognizer: Recognizer, chunks: Iterable[np.ndarray]) -> Iterator[Partial]:
    """The body of :meth:`Recognizer.stream <carrousel.speech.recognizer.Recognizer.stream>`: ``chunks`` of
    mono float samples at the model's rate (checked there) through the front end, the causal normalisation
    and the network, chunk by chunk, with :class:`GreedyStream` partials and a final full decode."""
    fx, hop, sr = recognizer.extractor, recognizer.features.hop_samples, recognizer.features.sample_rate
    norm, state = fx.norm_state(), recognizer.model.init_stream()
    buffer, previous = np.zeros(0, np.float32), None
    frames: list[np.ndarray] = []
    greedy, consumed = GreedyStream(recognizer.alphabet, recognizer.frame_seconds), 0
    for chunk in chunks:
        buffer = np.concatenate([buffer, chunk.astype(np.float32, copy=False)])
        consumed += len(chunk)
        n = fx.num_frames(len(buffer))
        if n == 0:
            continue
        raw = fx.raw(buffer[: (n - 1) * hop + recognizer.features.win_samples], previous=previous)
        previous, buffer = float(buffer[n * hop - 1]), buffer[n * hop :]
        feats = fx.normalize(raw, norm)
        with torch.no_grad():
            lp, state = recognizer.model.stream(feats[None].to(recognizer.device), state)
        frames.append(lp[0].float().cpu().numpy())
        closed, changed = greedy.push(frames[-1])  # the new frames only: bounded work per chunk
        for text in closed:
            yield Partial(round(consumed / sr, 3), text, segment_end=True)
        if changed and greedy.text:
            yield Partial(round(consumed / sr, 3), greedy.text)
    lp_all = np.concatenate(frames) if frames else np.zeros((0, recognizer.alphabet.size), np.float32)
    final = decode(lp_all, recognizer.alphabet, DecodeConfig(), recognizer.frame_seconds)[0]
    words = within_recording(final.words, consumed / sr)  # the last frame can end past the audio
    yield Partial(round(consumed / sr, 3), final.text, True, words)
