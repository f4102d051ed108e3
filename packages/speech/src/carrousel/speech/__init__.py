"""carrousel.speech: speech recognition with BiLSTM + CTC.

``speech transcribe file.wav`` uses the English recogniser shipped in the package (digits, numbers,
letters and commands); :func:`carrousel.speech.pipeline.train` trains one on your own recordings.
"""

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("carrousel-speech")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

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
