"""carrousel.nlp: Sentiment analysis, seq2seq translation and text generation with recurrent networks."""

from importlib.metadata import PackageNotFoundError, version

from carrousel.nlp.errors import NLPError

try:
    __version__ = version("carrousel-nlp")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["NLPError", "__version__"]
