"""The ``finance`` command line: flags -> :class:`~carrousel.finance.config.FinanceConfig` ->
:mod:`carrousel.finance.pipeline` -> tables or JSON on stdout. The only part of carrousel.finance importing
typer or rich. Commands::

    finance forecast|backtest|evaluate|export    (one module each: forecast.py, backtest.py...)
    finance train-global|predict                 (a global model over a long table of many series)
    finance samples list|place

It follows the conventions of :mod:`carrousel.core.cli` (``-h``, ``--version``, ``-v/--verbose``,
``-q/--quiet``, choices as enums, exit codes 0 ok / 1 runtime or data error / 2 usage error, one-line
errors, strict JSON). Each command builds its configuration once, explicitly: defaults (or, when
``--model-dir`` holds a model, that model's window and network settings), then the ``--config`` TOML
file, then the flags given (:mod:`carrousel.finance.cli._settings`). Every file a run writes is written by the
pipeline. The pipeline (torch, pandas, statsmodels) is imported inside the commands, so ``--help`` and usage
errors answer at once.

This package is light: ``app`` and ``main`` come from :mod:`carrousel.finance.cli._app` on first use, so that
``python -m carrousel.finance.cli`` (:mod:`carrousel.finance.cli.__main__`) catches signals before the heavy
imports, as the ``finance`` console script does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    from carrousel.finance.cli._app import app, main

__all__ = ["app", "main"]

_LAZY = {"app": "carrousel.finance.cli._app", "main": "carrousel.finance.cli._app"}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
