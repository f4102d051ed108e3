"""The ``nlp`` command line: the only module of carrousel.nlp importing typer or rich.

Built on :mod:`carrousel.core.cli`, so it follows the conventions table of the README (flags, exit codes,
stdout for results, strict JSON). The pipelines arrive with their issues; today it has --help and --version.
"""

from __future__ import annotations

from carrousel.core.cli import create_app, run
from carrousel.nlp import __version__

__all__ = ["app", "main"]

app = create_app(
    "nlp",
    "carrousel-nlp: Sentiment analysis, seq2seq translation and text generation with recurrent networks.",
    f"carrousel-nlp {__version__}",
)


def main() -> None:
    """Console entry point (``nlp``)."""
    run(app, "nlp")
