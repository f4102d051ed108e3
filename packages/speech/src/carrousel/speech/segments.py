"""The recordings a corpus lists and the times of their parts, checked as it is listed, before any work.

A part is ``[start, end)`` seconds of its recording (``end`` None: to the recording's end; the name
:func:`carrousel.speech.audio.segment_path` gives it). :class:`SegmentTimes` checks each part as its corpus
is read, with one message shape for every layout (``FILE: line N: segment end 12.3 s is past the end of
rec.wav (10.00 s): fix the segment times``): a start of 0 or more, an end after the start, and both within
the recording, whose length is read from its header once however many parts share it. An end past the
recording's end by at most :data:`TOLERANCE` (rounding in the tool that wrote the times) is clipped to it
silently.

Every recording a corpus lists, whole or in parts, has its header read once as the corpus is listed
(:meth:`SegmentTimes.recording`; the header only, not the samples): one that cannot be read (not audio,
0 bytes, no samples, a WAV cut short of the length its header declares) is a :class:`CorpusError` naming the
row and the file (``FILE: line N: rec.wav is empty (0 bytes); give a recording with sound, or leave it out of
the corpus``), before training or decoding starts. Sphinx ``.mfc`` feature files are not audio and are not read here.
"""

from __future__ import annotations

import math
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.speech.audio import TOLERANCE, audio_info, segment_path
from carrousel.speech.errors import AudioError, CorpusError, CutShortAudioError

__all__ = ["TOLERANCE", "SegmentTimes"]

_FIX = "or leave it out of the corpus"  # the other fix of every refused recording


class SegmentTimes:
    """Checks the recordings and parts of one corpus; each recording's header is read once, at its first row."""

    def __init__(self) -> None:
        self._lengths: dict[Path, float | None] = {}  # seconds of each recording (None: not audio, .mfc)

    def recording(self, file: Path, where: str) -> float | None:
        """The seconds of the whole recording ``file`` (None: a Sphinx ``.mfc`` feature file), once checked.

        Args:
            file: the recording.
            where: the row naming it, as ``FILE: line N``.

        Raises:
            CorpusError: ``file`` is missing, not audio, empty, holds no samples, or is a WAV cut short
                (its header declares more samples than it holds).
        """
        if file not in self._lengths:
            self._lengths[file] = None if file.suffix.lower() == ".mfc" else _checked(file, where)
        return self._lengths[file]

    @check_args
    def part(self, file: Path, start: float, end: float | None, where: str) -> tuple[str, float | None]:
        """The name of ``[start, end)`` of ``file`` and its seconds (None: to the end), once checked.

        Args:
            file: the recording.
            start: seconds into it.
            end: seconds into it where the part stops (None: the recording's end).
            where: the line the times come from, as ``FILE: line N``.

        Raises:
            CorpusError: a start below 0 or not finite, an end not after the start, a part past the end
                of its recording (more than :data:`TOLERANCE` for its end), or a recording
                :meth:`recording` refuses.
        """
        if not (math.isfinite(start) and start >= 0):
            raise CorpusError(
                f"{where}: segment start {start:g} s is not a time of 0 or more: fix the segment times"
            )
        if end is not None and not (math.isfinite(end) and end > start):
            raise CorpusError(
                f"{where}: segment end {end:g} s is not after its start {start:g} s: fix the segment times"
            )
        length = self.recording(file, where)
        if length is not None:
            if start >= length:
                raise CorpusError(
                    f"{where}: segment start {start:g} s is past the end of {file.name} ({length:.2f} s):"
                    " fix the segment times"
                )
            if end is not None and end > length + TOLERANCE:
                raise CorpusError(
                    f"{where}: segment end {end:g} s is past the end of {file.name} ({length:.2f} s):"
                    " fix the segment times"
                )
            end = None if end is None else min(end, length)
        return segment_path(file, start, end), None if end is None else end - start


def _checked(file: Path, where: str) -> float:
    """The seconds of ``file`` from its header, or a :class:`CorpusError` naming ``where``."""
    try:
        info = audio_info(file)
        if info.declared_frames is not None:  # a read refuses it so too (audio.read_audio)
            raise CutShortAudioError.of(file, info.declared_frames / info.sample_rate, info.seconds)
    except AudioError as exc:
        raise CorpusError(f"{where}: {exc}, {_FIX}") from None
    return info.seconds
