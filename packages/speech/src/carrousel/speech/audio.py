"""Reading recordings: any format soundfile reads, any rate and channel count, with clear errors.

Audio is read with soundfile (WAV, FLAC, OGG/Vorbis, and more; ``.raw`` files are headerless 16-bit
little-endian mono PCM at 16 kHz, the CMU Sphinx convention; libsndfile itself reads ``.gsm`` files as
headerless GSM 6.10 at 8 kHz, the Asterisk PBX's prompts), downmixed to mono by averaging channels
and resampled to the model's rate with torchaudio's windowed-sinc resampler. :func:`read_audio` loads
a whole recording; :func:`iter_chunks` reads a long one block by block, so memory stays bounded by the
chunk length whatever the file's duration.

CMU Sphinx ``.mfc`` feature files (a 4-byte count, then 13 float32 cepstra per 10 ms frame) are read
by :func:`read_sphinx_mfc`; models with a matching MFCC front end decode them without audio.

A float file holding integer values (samples past 2, e.g. peak 32768: 16-bit values saved as float) is
rescaled by one constant per file, the same in every reader (:mod:`carrousel.speech.fullscale`), with a warning.

What is done to the samples once read (resampling, the silence check, frame energy, the span holding the
sound) lives in :mod:`carrousel.speech.waveform`; its names are re-exported here.

A part of a recording is named ``rec.wav#START-END`` (seconds, ``[START, END)``; ``rec.wav#START-`` runs to
the end; :func:`segment_path`), read wherever a file is, when no file has that very name: a Kaldi
``segments`` file's utterances are such parts. An end past the recording's end by more than
:data:`TOLERANCE` is refused, as a corpus refuses it.

Every failure is one :class:`~carrousel.speech.errors.AudioError` line naming the file: empty, corrupt
(not decodable), silent (peak below -60 dBFS), too long, or holding NaN/infinite samples.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from carrousel.core.args import check_args
from carrousel.core.files_text import read_failure
from carrousel.core.paths import user_path
from carrousel.speech.errors import (
    AudioError,
    AudioTooLongError,
    CorruptAudioError,
    CutShortAudioError,
    EmptyAudioError,
)
from carrousel.speech.fullscale import float_scale
from carrousel.speech.waveform import SILENCE_PEAK, check_not_silent, frame_energy_db, resample, speech_bounds

__all__ = [
    "AUDIO_SUFFIXES",
    "RAW_RATE",
    "READABLE_FORMATS",
    "READABLE_NAMED",
    "SILENCE_PEAK",
    "TOLERANCE",
    "AudioInfo",
    "audio_info",
    "check_not_silent",
    "frame_energy_db",
    "iter_chunks",
    "read_audio",
    "read_sphinx_mfc",
    "resample",
    "segment_path",
    "speech_bounds",
    "split_segment",
    "to_mono",
]

TOLERANCE = 0.010  # seconds a part's end may pass its recording's end by and be clipped to it silently
RAW_RATE = 16000  # sample rate assumed for headerless .raw files (16-bit little-endian mono)
# The file names a folder of recordings is searched for: what read_audio reads (headerless .raw and
# .gsm included), and CMU Sphinx .mfc feature files (read_sphinx_mfc).
AUDIO_SUFFIXES = (
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".au", ".raw", ".gsm", ".mfc"
)  # fmt: skip
logger = logging.getLogger(__name__)
# The common formats the installed libsndfile reads (MP3 from 1.1.0 on): the one list the messages name them
# by (an unreadable file's error, speech stream's refusal of a feature file), "WAV, FLAC, OGG or MP3"
READABLE_FORMATS = tuple(f for f in ("WAV", "FLAC", "OGG", "MP3") if f in sf.available_formats())
READABLE_NAMED = (
    f"{', '.join(READABLE_FORMATS[:-1])} or {READABLE_FORMATS[-1]}"
    if len(READABLE_FORMATS) > 1
    else "".join(READABLE_FORMATS)
)

_SEGMENT = re.compile(r"(.+)#(\d+(?:\.\d*)?)-(\d+(?:\.\d*)?)?")  # rec.wav#1.5-3.25, rec.wav#1.5-
# libsndfile's note on a WAV whose data chunk is longer than the file; streamed writers' placeholder sizes
_CUT, _UNSIZED = re.compile(r"^data : (\d+) \(should be (\d+)\)", re.MULTILINE), 0x7FFF0000
_CANCELLED = 10 ** (-20 / 20)  # channels whose mean is 20 dB below the loudest one cancel (to_mono)


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says."""

    path: str  # the file
    sample_rate: int  # samples per second per channel
    channels: int  # channel count
    frames: int  # samples per channel
    format: str  # container (WAV, FLAC, OGG, RAW...)
    declared_frames: int | None = None  # frames a WAV header declares when the file holds fewer (cut short)

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def segment_path(path: str | Path, start: float, end: float | None) -> str:
    """The name of seconds ``[start, end)`` of the recording ``path`` (``end`` None: to its end)."""
    return f"{path}#{float(start)!r}-{'' if end is None else repr(float(end))}"


def split_segment(path: str | Path) -> tuple[Path, float, float | None]:
    """``(file, start, end)`` of a :func:`segment_path` name; any other path is ``(path, 0.0, None)``."""
    match, whole = _SEGMENT.fullmatch(str(path)), user_path(path)  # a Python caller's "~/a.wav"
    if match is None or whole.exists():
        return whole, 0.0, None
    return user_path(match[1]), float(match[2]), float(match[3]) if match[3] else None


def _raw_kwargs(path: Path) -> dict[str, Any]:
    if path.suffix.lower() != ".raw":
        return {}
    return {"format": "RAW", "subtype": "PCM_16", "samplerate": RAW_RATE, "channels": 1, "endian": "LITTLE"}


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        if str(path) == "-":  # the nlp CLIs' standard input: recordings are read by path, some twice
            raise AudioError(
                "- (standard input): recordings are read from files; save the audio to a file first"
            ) from None
        raise AudioError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise read_failure(exc, str(path), "check the path", AudioError) from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(f"{path} is a folder, not an audio file; give the files inside it")
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(f"{path} is not a regular file; save the audio to a file first")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: permission denied; make the file readable")
    if st.st_size == 0:
        raise EmptyAudioError(f"{path} is empty (0 bytes); give a recording with sound")


def audio_info(path: str | Path) -> AudioInfo:
    """Reads the header of a recording.

    Raises:
        AudioError: missing, a folder or special file, or unreadable.
        EmptyAudioError: 0 bytes or no samples.
        CorruptAudioError: not a format soundfile can decode.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """
    return _part(path)[0]


def _part(path: str | Path, whole: bool = False) -> tuple[AudioInfo, Path, dict[str, int], str]:
    """:func:`audio_info`, the file ``path`` reads, for a segment :func:`sf.read`'s ``start`` and ``frames``
    (``{}`` for a whole file), and the file's subtype (``PCM_16``, ``FLOAT``: for
    :func:`~carrousel.speech.fullscale.float_scale`, its header not read again): the name parsed once per
    read. ``whole``: a WAV cut short raises."""
    p, start, end = split_segment(path)
    _check_file(p)
    try:
        info = sf.info(os.fsencode(p), **_raw_kwargs(p)) if p.suffix.lower() != ".raw" else None
    except (sf.LibsndfileError, RuntimeError) as exc:
        if _shortened(p):
            raise CorruptAudioError(
                f"{p} is a shorten-compressed NIST SPHERE file, which soundfile cannot decode; "
                f"decompress it with sph2pipe (sph2pipe -f wav {p.name} {p.stem}.wav)"
            ) from None
        raise CorruptAudioError(
            f"{p} is not readable audio ({str(exc).rpartition(':')[2].strip() or exc}); "
            f"give a {READABLE_NAMED} file (convert others with ffmpeg or sox)"
        ) from None
    subtype = str(_raw_kwargs(p)["subtype"] if info is None else info.subtype)
    if info is None:  # headerless PCM
        frames = p.stat().st_size // 2
        result = AudioInfo(str(p), RAW_RATE, 1, frames, "RAW")
    else:
        result = AudioInfo(str(p), int(info.samplerate), int(info.channels), int(info.frames), info.format)
        if (cut := _CUT.search(info.extra_info)) and result.frames and int(cut[2]) < int(cut[1]) < _UNSIZED:
            result = replace(result, declared_frames=int(cut[1]) * result.frames // int(cut[2]))
        if whole and result.declared_frames is not None:  # as segments.py refuses one that a corpus lists
            raise CutShortAudioError.of(p, result.declared_frames / result.sample_rate, result.seconds)
    if result.frames <= 0 or result.sample_rate <= 0:
        raise EmptyAudioError(f"{p} holds no audio samples; give a recording with sound")
    if (start, end) == (0.0, None):
        return result, p, {}, subtype
    lo, rate = round(start * result.sample_rate), result.sample_rate
    if (hi := result.frames if end is None else min(result.frames, round(end * rate))) <= lo:
        span = f"from {start:g} s to {'the end' if end is None else f'{end:g} s'}"
        raise EmptyAudioError(f"{path}: no samples {span} ({p}: {result.seconds:.2f} s); check the times")
    if end is not None and end > result.seconds + TOLERANCE:  # before: clipped silently (corpora refuse it)
        raise AudioError(
            f"{path}: the part ends at {end:g} s, past the end of {p.name} ({result.seconds:.2f} s); give an "
            f"end of at most {result.seconds:.2f} s, or {segment_path(p, start, None)} to read to its end"
        )
    part = AudioInfo(str(path), result.sample_rate, result.channels, hi - lo, result.format)
    return part, p, {"start": lo, "frames": hi - lo}, subtype


def _shortened(path: Path) -> bool:
    """True for a NIST SPHERE file whose samples are shorten-compressed (LDC's ``.sph``)."""
    with path.open("rb") as fh:
        return (head := fh.read(1024)).startswith(b"NIST_1A") and b"shorten" in head.split(b"end_head")[0]


def to_mono(data: np.ndarray, where: str | None = None) -> np.ndarray:
    """``(frames,)`` float32 from ``(frames,)`` or ``(frames, channels)`` by averaging the channels.

    Channels that cancel when averaged (one phase-inverted, as a miswired balanced microphone records:
    the mean's RMS more than 20 dB below the loudest channel's) give the loudest channel instead, with a
    warning naming ``where`` (none when ``where`` is None). Independent or one-sided channels lose at
    most 6 dB by averaging, far from that cut.
    """
    x, channel = _downmix(data)
    if channel is not None and where is not None:
        _warn_cancelled(where, data.shape[1], channel)
    return x


def _downmix(data: np.ndarray) -> tuple[np.ndarray, int | None]:
    """:func:`to_mono`'s samples, and the channel read alone when the channels cancel (else None)."""
    if data.ndim != 2:
        return np.ascontiguousarray(data, dtype=np.float32), None
    x = data.mean(axis=1)
    if data.shape[1] > 1 and len(data):
        rms = np.sqrt(np.mean(np.square(data, dtype=np.float64), axis=0))
        loudest = int(np.argmax(rms))
        mixed = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        if rms[loudest] >= SILENCE_PEAK and mixed < _CANCELLED * rms[loudest]:
            return np.ascontiguousarray(data[:, loudest], dtype=np.float32), loudest
    return np.ascontiguousarray(x, dtype=np.float32), None


def _warn_cancelled(where: str, channels: int, channel: int) -> None:
    msg = "%s: its %d channels cancel when averaged (one phase-inverted?); reading channel %d, the loudest, alone"
    logger.warning(msg, where, channels, channel + 1)


def _check_finite(x: np.ndarray, where: str) -> None:
    if not np.isfinite(x).all():
        raise CorruptAudioError(
            f"{where} holds NaN or infinite samples; the file is damaged, export it again"
        )


@check_args
def read_audio(
    path: str | Path,
    sample_rate: int = 16000,
    max_seconds: float | None = None,
    allow_silent: bool = False,
) -> np.ndarray:
    """A whole recording as mono float32 at ``sample_rate``: [-1, 1] for PCM (float files as stored, those
    holding integer values rescaled: :mod:`carrousel.speech.fullscale`).

    Args:
        path: the file (any format soundfile reads; ``.raw`` = 16 kHz 16-bit little-endian mono PCM).
        sample_rate: rate of the result (Hz).
        max_seconds: refuse longer recordings (None: no limit; use :func:`iter_chunks` for long files).
        allow_silent: return silence instead of raising.

    Returns:
        ``(samples,)`` float32.

    Raises:
        AudioError: the checks of :func:`audio_info`; :class:`AudioTooLongError` over ``max_seconds``;
            :class:`SilentAudioError` for silence (unless ``allow_silent``); :class:`CorruptAudioError`
            for undecodable data, NaN samples or a WAV cut short.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """
    info, p, part, subtype = _part(path, whole=True)
    AudioTooLongError.check(path, info.seconds, max_seconds)
    try:
        data, rate = sf.read(os.fsencode(p), dtype="float32", always_2d=False, **part, **_raw_kwargs(p))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise CorruptAudioError(
            f"{p} cannot be decoded ({exc}); the file is damaged, export it again"
        ) from None
    scale = np.float32(float_scale(p, subtype))  # a float file past [-1, 1] (fullscale)
    x = to_mono(np.asarray(data) / scale if scale != 1 else np.asarray(data), str(p))
    if len(x) == 0:
        raise EmptyAudioError(f"{p} holds no audio samples; give a recording with sound")
    _check_finite(x, str(p))
    if not allow_silent:
        check_not_silent(x, str(p))
    return resample(x, int(rate), sample_rate)


@check_args
def iter_chunks(
    path: str | Path,
    sample_rate: int,
    chunk_seconds: float,
    overlap_seconds: float = 0.0,
    max_seconds: float | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Reads a recording block by block; memory is bounded by ``chunk_seconds + 2 * overlap_seconds``.

    Chunk ``k`` covers ``[k * chunk - overlap, (k + 1) * chunk + overlap)`` seconds of the recording
    (clipped at both ends), resampled to ``sample_rate``.

    Yields:
        ``(start, samples)``: the chunk's first sample index at ``sample_rate`` and its mono float32 data.

    Raises:
        AudioError: as :func:`read_audio`, except silence, which the caller judges over all chunks.
    """
    info, p, part, subtype = _part(path, whole=True)
    AudioTooLongError.check(path, info.seconds, max_seconds)
    rate = info.sample_rate
    step = max(1, round(chunk_seconds * rate))
    pad = round(overlap_seconds * rate)
    scale = np.float32(float_scale(p, subtype))  # the file's, as read_audio's (fullscale)
    try:
        warned = False
        with sf.SoundFile(os.fsencode(p), **_raw_kwargs(p)) as fh:
            if part:
                fh.seek(part["start"])
            # Read forward only, keeping the next chunk's leading overlap: headerless GSM 6.10 (.gsm)
            # and other formats libsndfile cannot seek in are read like the rest.
            buf, buf_start = np.zeros((0, info.channels), np.float32), 0
            for begin in range(0, info.frames, step):
                lo, hi = max(0, begin - pad), min(info.frames, begin + step + pad)
                if hi > buf_start + len(buf):
                    more = fh.read(hi - buf_start - len(buf), dtype="float32", always_2d=True)
                    buf = np.concatenate([buf, more])
                block = buf[lo - buf_start : hi - buf_start]
                keep = max(0, begin + step - pad) - buf_start
                buf, buf_start = buf[keep:], buf_start + keep
                x, channel = _downmix(block / scale if scale != 1 else block)
                if channel is not None and not warned:
                    _warn_cancelled(str(p), block.shape[1], channel)
                    warned = True
                _check_finite(x, str(p))
                start = round(lo * sample_rate / rate)
                yield start, resample(x, rate, sample_rate)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CorruptAudioError(
            f"{p} cannot be decoded ({exc}); the file is damaged, export it again"
        ) from None


@check_args
def read_sphinx_mfc(path: str | Path, n_ceps: int = 13) -> np.ndarray:
    """Cepstra ``(frames, n_ceps)`` float32 of a CMU Sphinx ``.mfc`` file (either byte order).

    Raises:
        CorruptAudioError: the header count does not match the file size, or values are not finite.
    """
    p = user_path(path)
    _check_file(p)
    raw = p.read_bytes()
    for order in ("<", ">"):
        count = int(np.frombuffer(raw[:4], dtype=f"{order}i4")[0]) if len(raw) >= 4 else -1
        if count == (len(raw) - 4) // 4 and count % n_ceps == 0 and count > 0:
            data = np.frombuffer(raw[4:], dtype=f"{order}f4").astype(np.float32).reshape(-1, n_ceps)
            _check_finite(data, str(p))
            return data
    raise CorruptAudioError(f"{p} is not a Sphinx MFCC file of {n_ceps} cepstra (header and size disagree)")
