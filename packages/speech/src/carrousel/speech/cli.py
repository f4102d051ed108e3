"""The ``speech`` command line: the only module of carrousel.speech importing typer or rich."""

from __future__ import annotations

import typer

from carrousel.speech import __version__

__all__ = ["app"]

app = typer.Typer(
    name="speech",
    help="carrousel-speech: Speech recognition with BiLSTM + CTC.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carrousel-speech {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Speech recognition with BiLSTM + CTC."""
