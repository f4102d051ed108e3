"""carrousel.speech: speech recognition with BiLSTM + CTC.

``speech transcribe file.wav`` uses the English recogniser shipped in the package (digits, numbers,
letters and commands); :func:`carrousel.speech.pipeline.train` trains one on your own recordings.
"""

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports
from carrousel.speech.errors import (
    AudioError,
    AudioTooLongError,
    CorpusError,
    CorruptAudioError,
    CTCLossError,
    EmptyAudioError,
    LanguageModelError,
    SilentAudioError,
    SpeechError,
    StreamingError,
    SynthesisError,
)

if TYPE_CHECKING:
    __version__: str  # the installed carrousel-speech's (lazy_exports' version=, read on first use)

_LAZY: dict[str, str] = {}  # nothing else to load lazily: importing the package loads its errors
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, version="carrousel-speech")  # __version__: on first use

__all__ = [
    "AudioError",
    "AudioTooLongError",
    "CTCLossError",
    "CorpusError",
    "CorruptAudioError",
    "EmptyAudioError",
    "LanguageModelError",
    "SilentAudioError",
    "SpeechError",
    "StreamingError",
    "SynthesisError",
    "__version__",
]
