"""The ``speech`` command line: the only module of carrousel.speech importing typer or rich.

Built on :mod:`carrousel.core.cli`, so it follows the conventions table of the README (flags, exit codes,
stdout for results, strict JSON). The pipelines arrive with their issues; today it has --help and --version.
"""

from __future__ import annotations

from carrousel.core.cli import create_app, run
from carrousel.speech import __version__

__all__ = ["app", "main"]

app = create_app(
    "speech", "carrousel-speech: Speech recognition with BiLSTM + CTC.", f"carrousel-speech {__version__}"
)


def main() -> None:
    """Console entry point (``speech``)."""
    run(app, "speech")
