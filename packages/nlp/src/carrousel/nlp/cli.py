"""The ``nlp`` command line: the only module of carrousel.nlp that imports typer or renders with rich."""

from __future__ import annotations

import typer

from carrousel.nlp import __version__

__all__ = ["app"]

app = typer.Typer(
    name="nlp",
    help="carrousel-nlp: sentiment, seq2seq translation and text generation with recurrent networks.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carrousel-nlp {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Sentiment analysis, seq2seq translation and text generation with recurrent networks."""
