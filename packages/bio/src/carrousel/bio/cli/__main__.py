"""``python -m carrousel.bio.cli``: signals are caught before the CLI imports, as by ``python -m
carrousel.bio`` and the ``bio`` console script (:mod:`carrousel.core.cli_start`): the package is light and
``main()`` imports the commands."""

from __future__ import annotations

from carrousel.core.cli_start import launch

__all__ = ["main"]


def main() -> None:
    """``python -m carrousel.bio.cli``."""
    launch("carrousel.bio.cli")


if __name__ == "__main__":
    main()
