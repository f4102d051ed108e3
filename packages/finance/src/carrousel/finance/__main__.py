"""The ``finance`` console script and ``python -m carrousel.finance``: signals are caught before the CLI imports.

The CLI's commands (:mod:`carrousel.finance.cli._app`) import typer and rich, which takes up to a second; a
Ctrl-C or ``SIGTERM`` in that time ends the program with ``interrupted`` and exit code 130, as one
during a command does (:mod:`carrousel.core.cli_start`).
"""

from __future__ import annotations

from carrousel.core.cli_start import launch

__all__ = ["main"]


def main() -> None:
    """Console entry point (``finance``)."""
    launch("carrousel.finance.cli")


if __name__ == "__main__":
    main()
