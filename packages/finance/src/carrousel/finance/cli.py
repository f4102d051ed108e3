"""The ``finance`` command line: the only module of carrousel.finance that imports typer or renders with rich."""

from __future__ import annotations

import typer

from carrousel.finance import __version__

__all__ = ["app"]

app = typer.Typer(
    name="finance",
    help="carrousel-finance: Stock forecasting with LSTMs, honest baselines and walk-forward backtests.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carrousel-finance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Stock forecasting with LSTMs, honest baselines and walk-forward backtests."""
