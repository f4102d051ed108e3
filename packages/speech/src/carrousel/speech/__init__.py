"""carrousel.speech: Speech recognition with BiLSTM + CTC."""

from importlib.metadata import PackageNotFoundError, version

from carrousel.speech.errors import SpeechError

try:
    __version__ = version("carrousel-speech")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["SpeechError", "__version__"]
