"""The ``nlp`` command line: the only part of carrousel.nlp importing typer or rich.

Built on :mod:`carrousel.core.cli`, so it follows the conventions table of the README (flags, exit codes,
stdout for results, stderr for logs and progress, strict JSON). Commands::

    nlp sentiment train|predict|evaluate|export
    nlp generate train|run|evaluate|export    (nlp generate --model DIR --prompt TEXT: run)
    nlp translate train|run|evaluate|export   (nlp translate --model DIR TEXT: run)

Each command turns its flags into one config (``--config run.toml`` first, flags on top), calls one
pipeline function and renders the result.

This package is light: ``app`` and ``main`` come from :mod:`carrousel.nlp.cli._app` on first use, so that
``python -m carrousel.nlp.cli`` (:mod:`carrousel.nlp.cli.__main__`) catches signals before the heavy
imports, as ``python -m carrousel.finance.cli`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    from carrousel.nlp.cli._app import app, main

__all__ = ["app", "main"]

_LAZY = {"app": "carrousel.nlp.cli._app", "main": "carrousel.nlp.cli._app"}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
