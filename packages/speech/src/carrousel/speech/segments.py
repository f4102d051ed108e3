"""The times of a part of a recording, checked where a corpus lists them (Kaldi ``segments``, timed manifests).

A part is ``[start, end)`` seconds of its recording (``end`` None: to the recording's end; the name
:func:`carrousel.speech.audio.segment_path` gives it). :class:`SegmentTimes` checks each part as its corpus
is read, with one message shape for every layout (``FILE: line N: segment end 12.3 s is past the end of
rec.wav (10.00 s): fix the segment times``): a start of 0 or more, an end after the start, and both within
the recording, whose length is read from its header once however many parts share it. An end past the
recording's end by at most :data:`TOLERANCE` (rounding in the tool that wrote the times) is clipped to it
silently. A recording that cannot be read is not judged here: reading it reports it, as before.
"""

from __future__ import annotations

import math
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.speech.audio import audio_info, segment_path
from carrousel.speech.errors import AudioError, CorpusError

__all__ = ["TOLERANCE", "SegmentTimes"]

TOLERANCE = 0.010  # seconds an end may pass its recording's end by and be clipped to it silently


class SegmentTimes:
    """Checks the parts of one corpus; each recording's length is read once, at its first part."""

    def __init__(self) -> None:
        self._lengths: dict[Path, float | None] = {}  # seconds of each recording (None: unreadable)

    def _length(self, file: Path) -> float | None:
        if file not in self._lengths:
            try:
                self._lengths[file] = audio_info(file).seconds  # the header only
            except AudioError:
                self._lengths[file] = None
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
            CorpusError: a start below 0 or not finite, an end not after the start, or a part past the end
                of its recording (more than :data:`TOLERANCE` for its end).
        """
        if not (math.isfinite(start) and start >= 0):
            raise CorpusError(
                f"{where}: segment start {start:g} s is not a time of 0 or more: fix the segment times"
            )
        if end is not None and not (math.isfinite(end) and end > start):
            raise CorpusError(
                f"{where}: segment end {end:g} s is not after its start {start:g} s: fix the segment times"
            )
        length = self._length(file)
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
