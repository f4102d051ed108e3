"""The ``nlp`` app: its three command groups (:mod:`carrousel.nlp.cli`, which names them, loads it on use)."""

from __future__ import annotations

import carrousel.nlp
from carrousel.core.cli import create_app, run
from carrousel.core.cli_samples import add_sample_commands
from carrousel.nlp.cli.generate import generate_app
from carrousel.nlp.cli.sentiment import sentiment_app
from carrousel.nlp.cli.translate import translate_app
from carrousel.nlp.samples import SAMPLES

__all__ = ["app", "main"]

app = create_app(
    "nlp",
    "carrousel-nlp: sentiment analysis, text generation and translation with recurrent networks.",
    lambda: f"carrousel-nlp {carrousel.nlp.__version__}",  # read on --version only
)
add_sample_commands(app, "nlp", SAMPLES)  # samples list / samples place (core.cli_samples)
app.add_typer(sentiment_app, name="sentiment")
app.add_typer(generate_app, name="generate")
app.add_typer(translate_app, name="translate")


def main() -> None:
    """Console entry point (``nlp``)."""
    run(app, "nlp")
