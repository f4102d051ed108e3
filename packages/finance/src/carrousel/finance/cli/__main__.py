"""``python -m carrousel.finance.cli``: signals are caught before the CLI imports, as by ``python -m
carrousel.finance`` and the ``finance`` console script (:mod:`carrousel.core.cli_start`): the package is light
and ``main()`` imports the commands."""

from __future__ import annotations

from carrousel.core.cli_start import launch

__all__ = ["main"]


def main() -> None:
    """``python -m carrousel.finance.cli``."""
    launch("carrousel.finance.cli")


if __name__ == "__main__":
    main()
