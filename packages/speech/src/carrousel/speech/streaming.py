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
from carrousel.speech.audio import READABLE_NAMED, frame_energy_db, read_audio
from carrousel.speech.config import DecodeConfig
from carrousel.speech.decoding import decode
from carrousel.speech.errors import AudioError
from carrousel.speech.longform import Progress, blank_frames, no_progress
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
SOUND_RISE_DB = 20.0  # a stream's sound starts at a 10 ms frame this far above the quietest before it
SOUND_DB = -40.0  # or at one this loud (dBFS RMS), whatever came before (speech from the first frame)
QUIET_DB = -60.0  # never at one quieter (SILENCE_PEAK's level: digital silence rises from -inf)
MARGIN_SECONDS = 0.3  # silence kept before the sound, as speech_bounds' margin of a transcribed file


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


class LeadingSilence:
    """Holds back a stream's leading silence until its sound starts, as transcription trims a file's.

    The causal normalisation's running statistics start from the corpus's and take in every frame: a second
    of digital silence (log energies near the floor) before the speech dragged its mean and variance far
    from it, and the stream model read "seven of clubs" after 1 s of silence as "even ost" (offline, the
    file trimmed to its sound: "seven oe"). Until the sound starts (a 10 ms frame :data:`SOUND_RISE_DB`
    above the quietest before it and above :data:`QUIET_DB`, or at :data:`SOUND_DB`), only the last
    :data:`MARGIN_SECONDS` are kept; what goes before is dropped (in 10 ms frames), and counted as that
    many output frames (``step`` samples each, rounded) of blank so that the stream's times stay its own.

    Args:
        hop: samples per 10 ms feature frame.
        step: samples per output frame (a multiple of ``hop``).
        rate: the sample rate.
    """

    @check_args
    def __init__(self, hop: int, step: int, rate: int) -> None:
        self.hop, self.step = hop, step
        self.keep = -(-round(MARGIN_SECONDS * rate) // step) * step  # whole output frames
        self.held = np.zeros(0, np.float32)
        self.floor = np.inf  # the quietest 10 ms frame (dB) held so far
        self.dropped = 0  # samples dropped (a multiple of hop)
        self.open = False

    def push(self, samples: np.ndarray) -> np.ndarray:
        """The samples to transcribe from this chunk's (none while the silence lasts)."""
        if self.open:
            return samples
        scanned = len(self.held) // self.hop * self.hop  # frames already looked at
        self.held = np.concatenate([self.held, samples])
        energy = frame_energy_db(self.held[scanned:], self.hop)
        before = np.minimum.accumulate(np.r_[self.floor, energy])[:-1]  # the quietest before each frame
        sound = (energy >= SOUND_DB) | ((energy >= before + SOUND_RISE_DB) & (energy >= QUIET_DB))
        if sound.any():
            onset = scanned + int(np.argmax(sound)) * self.hop
            start = max(0, onset - self.keep)  # a whole 10 ms frame, as speech_bounds cuts
            out, self.held, self.open = self.held[start:], self.held[:0], True
            self.dropped += start
            return out
        self.floor = float(min(self.floor, energy.min(initial=np.inf)))
        drop = max(0, len(self.held) - self.keep - self.hop) // self.step * self.step
        self.held, self.dropped = self.held[drop:], self.dropped + drop
        return self.held[:0]


def refuse_features(path: str) -> None:
    """Refuses a Sphinx ``.mfc`` feature file (before the model loads; soundfile would say "Format not
    recognised").

    Raises:
        AudioError: ``path`` ends in ``.mfc``.
    """
    if path.lower().endswith(".mfc"):
        raise AudioError(
            f"{path} is a Sphinx .mfc feature file, but 'speech stream' takes audio only ({READABLE_NAMED}, "
            "or another format soundfile reads); decode .mfc feature files with 'speech transcribe'"
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
    gate = LeadingSilence(hop, recognizer.frame_samples, sr)
    for chunk in chunks:
        consumed += len(chunk)
        was_open = gate.open
        buffer = np.concatenate([buffer, gate.push(chunk.astype(np.float32, copy=False))])
        if gate.open and not was_open:  # the dropped silence as blank frames: times stay the stream's
            frames.append(blank_frames(round(gate.dropped / gate.step), recognizer.alphabet))
            greedy.push(frames[-1])
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
