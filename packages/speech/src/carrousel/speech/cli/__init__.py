"""The ``speech`` command line: the only part of carrousel.speech importing typer or rich.

Built on :mod:`carrousel.core.cli`, so it follows the conventions table of the README (``-h``,
``--version``, ``-v``/``-q``, results on stdout, logs and progress bars on stderr, strict ``--json``,
exit codes 0/1/2/130). Flags become a config (:mod:`carrousel.speech.config`), the config goes to one
function of :mod:`carrousel.speech.pipeline`, and the result is rendered here. Commands::

    speech synth-corpus   (synth_corpus.py)
    speech train          (train.py)
    speech transcribe     (transcribe.py)
    speech evaluate       (evaluate.py)
    speech export         (export.py)
    speech stream         (stream.py)
    speech samples list|place

The option types the commands share are in :mod:`carrousel.speech.cli._common`; :mod:`carrousel.speech.cli._app`
builds the app and registers the commands.

This package is light: ``app`` and ``main`` come from :mod:`carrousel.speech.cli._app` on first use, so that
``python -m carrousel.speech.cli`` (:mod:`carrousel.speech.cli.__main__`) catches signals before the heavy
imports, as ``python -m carrousel.nlp.cli`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    from carrousel.speech.cli._app import app, main

__all__ = ["app", "main"]

_LAZY = {"app": "carrousel.speech.cli._app", "main": "carrousel.speech.cli._app"}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
