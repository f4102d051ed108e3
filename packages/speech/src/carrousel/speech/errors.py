"""Errors of carrousel.speech; all derive from :class:`carrousel.core.errors.CarrouselError`.

Each names what failed; the CLI prints its one-line message and exits 1. Where it helps, an error also
derives from a built-in exception (``ValueError``, ``RuntimeError``) so plain Python code can catch it.
"""

from __future__ import annotations

import os

from carrousel.core.errors import CarrouselError, ConfigError, DataError
from carrousel.core.option_names import option

__all__ = [
    "AudioError",
    "AudioTooLongError",
    "CTCLossError",
    "CorpusError",
    "CorruptAudioError",
    "CutShortAudioError",
    "EmptyAudioError",
    "FrontEndMismatchError",
    "LanguageModelError",
    "SilentAudioError",
    "SpeechConfigError",
    "SpeechError",
    "StreamingError",
    "SynthesisError",
    "TranscriptError",
]


class SpeechError(CarrouselError):
    """Root of the errors raised by carrousel.speech."""


class SpeechConfigError(SpeechError, ConfigError):
    """A speech option is out of range or inconsistent (a config ``__post_init__`` check)."""


class AudioError(SpeechError, DataError):
    """An audio file cannot be used (the subclasses say why)."""


class EmptyAudioError(AudioError):
    """The file holds no samples (a 0-byte file, or a header with no frames)."""


class CorruptAudioError(AudioError):
    """The file is not audio that soundfile can decode (damaged, truncated, or another format)."""


class CutShortAudioError(CorruptAudioError):
    """A WAV holds fewer samples than its header declares (an interrupted copy or recording): one message
    wherever it is refused (a read, a corpus listing it), built by :meth:`of`."""

    @classmethod
    def of(cls, path: str | os.PathLike[str], declared: float, held: float) -> CutShortAudioError:
        """The error of the WAV ``path``, whose header declares ``declared`` seconds and which holds ``held``."""
        return cls(
            f"{os.fspath(path)} is cut short: its header declares {declared:.2f} s, the file holds {held:.2f} s"
            " (an interrupted copy or recording); copy or export it again"
        )


class SilentAudioError(AudioError):
    """The recording is digital silence or too quiet to hold speech."""


class AudioTooLongError(AudioError):
    """The recording is longer than the configured limit (``--max-seconds``): one message wherever it is
    refused (a whole read, a chunked read, a transcription), built by :meth:`of`."""

    @classmethod
    def of(cls, path: str | os.PathLike[str], seconds: float, limit: float) -> AudioTooLongError:
        """The error of the recording ``path``, which lasts ``seconds``, over ``limit`` seconds."""
        digits = 1  # as many decimals as show it over the limit: "1.02 s, over the 1 s limit", not "1.0 s"
        while digits < 6 and round(seconds, digits) <= limit:
            digits += 1
        return cls(
            f"{os.fspath(path)} lasts {seconds:.{digits}f} s, over the {limit:g} s limit; "
            f"split it or raise the limit ({option('max_seconds')})"
        )

    @classmethod
    def check(cls, path: str | os.PathLike[str], seconds: float, limit: float | None) -> None:
        """The one length check of a whole read, a chunked read and a transcription: raises :meth:`of`'s
        error when the recording ``path`` lasts more than ``limit`` seconds (None: no limit)."""
        if limit is not None and seconds > limit:
            raise cls.of(path, seconds, limit)


class FrontEndMismatchError(AudioError, SpeechConfigError):
    """A feature file (Sphinx ``.mfc``) was computed by another front end than the model's.

    An :class:`AudioError` (a file the model cannot use: with several files it is skipped and reported
    like a bad recording) and, as before, a :class:`SpeechConfigError`.
    """


class CorpusError(SpeechError, DataError):
    """A training or evaluation corpus (manifest, folder, Common Voice, LibriSpeech or Speech Commands root) is unusable."""


class TranscriptError(CorpusError):
    """A transcript is empty or holds only characters outside the model's alphabet."""


class CTCLossError(SpeechError, DataError):
    """The CTC loss cannot be computed: an input shorter than its target, or an infinite loss (a
    :class:`DataError`, so that core's ``fit_refusing`` tells held-out batches no weights can score from a
    training that diverged: only the trained weights' loss infinite)."""


class LanguageModelError(SpeechError, DataError):
    """A language-model file (ARPA or plain text) or a hotword list cannot be read."""


class SynthesisError(SpeechError, RuntimeError):
    """A speech synthesiser (espeak-ng, flite) is missing or failed."""


class StreamingError(SpeechError, ValueError):
    """Streaming needs a unidirectional model with causal normalisation."""
