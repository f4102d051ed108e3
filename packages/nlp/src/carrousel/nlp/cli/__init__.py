"""The ``nlp`` command line: the only part of carrousel.nlp importing typer or rich.

Built on :mod:`carrousel.core.cli`, so it follows the conventions table of the README (flags, exit codes,
stdout for results, stderr for logs and progress, strict JSON). Commands::

    nlp sentiment train|predict|evaluate|export
    nlp generate train|run|evaluate|export    (nlp generate --model DIR --prompt TEXT: run)
    nlp translate train|run|evaluate|export   (nlp translate --model DIR TEXT: run)

Each command turns its flags into one config (``--config run.toml`` first, flags on top), calls one
pipeline function and renders the result.
"""

from __future__ import annotations

from carrousel.core.cli import create_app, run
from carrousel.nlp import __version__
from carrousel.nlp.cli.generate import generate_app
from carrousel.nlp.cli.sentiment import sentiment_app
from carrousel.nlp.cli.translate import translate_app

__all__ = ["app", "main"]

app = create_app(
    "nlp",
    "carrousel-nlp: sentiment analysis, text generation and translation with recurrent networks.",
    f"carrousel-nlp {__version__}",
)
app.add_typer(sentiment_app, name="sentiment")
app.add_typer(generate_app, name="generate")
app.add_typer(translate_app, name="translate")


def main() -> None:
    """Console entry point (``nlp``)."""
    run(app, "nlp")
