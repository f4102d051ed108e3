"""The ``bio`` command line: the only module of carrousel.bio that imports typer or renders with rich."""

from __future__ import annotations

import typer

from carrousel.bio import __version__

__all__ = ["app"]

app = typer.Typer(
    name="bio",
    help="carrousel-bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carrousel-bio {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models."""
