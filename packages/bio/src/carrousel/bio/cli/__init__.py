"""The ``bio`` command line: flags -> config -> :mod:`carrousel.bio.pipeline` -> rendering.

Built on :mod:`carrousel.core.cli` (``-h``, ``--version``, ``-v``/``-q`` on every command, choices as
enums, results on stdout and logs/progress on stderr, strict JSON, exit codes 0 / 1 error / 2 usage).
This package and core's CLI helper are the only modules that import typer or render with rich. Commands::

    bio scan | train | evaluate | export | enrich | discover    (one module each)
    bio samples list | place                                   (core.cli_samples)

Each command turns its flags into one config (``--config run.toml`` first, flags on top: :mod:`._settings`),
calls one pipeline function and renders the result; the options they share are in :mod:`._common`.

This package is light: ``app`` and ``main`` come from :mod:`carrousel.bio.cli._app` on first use, so that
``python -m carrousel.bio.cli`` (:mod:`carrousel.bio.cli.__main__`) catches signals before the heavy
imports, as ``python -m carrousel.nlp.cli`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    from carrousel.bio.cli._app import app, main

__all__ = ["app", "main"]

_LAZY = {"app": "carrousel.bio.cli._app", "main": "carrousel.bio.cli._app"}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
