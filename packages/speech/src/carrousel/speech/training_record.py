"""The training corpora a bundle records, readable from any folder.

``speech train`` records its corpora as given (``corpora``, and ``val_data`` in its ``config``): a relative
one (``--data train.tsv``) named a file only from the folder training ran in, so ``speech export --prune``
(or ``--distill``, or int8 calibration) run from another folder found nothing and needed ``--train-data``.
They are now recorded resolved as well (``resolved``: ``{"corpora": [...], "val_data": [...]}``, absolute
paths, prefix and ``#split`` kept). Reading takes each resolved corpus whose path exists, else the corpus
as given: a bundle written before records only that, and reads as it did.
"""

from __future__ import annotations

import os
from typing import Any

from carrousel.core.paths import user_path
from carrousel.speech.data import CORPUS_PREFIXES

__all__ = ["recorded_corpora", "resolved_corpora"]


def _parts(spec: str) -> tuple[str, str, str]:
    """``(prefix, path, rest)`` of a corpus spec as :func:`~carrousel.speech.data.load_corpus` reads it:
    ``"kaldi:data/train#dev"`` -> ``("kaldi:", "data/train", "#dev")``; a ``sample:`` group has no path."""
    kind, _, target = spec.partition(":")
    prefix = f"{kind}:" if kind in CORPUS_PREFIXES and target else ""
    if kind == "sample" and target:
        return spec, "", ""
    path, hash_, split = (target if prefix else spec).partition("#")
    return prefix, path, hash_ + split


def resolved_corpora(specs: tuple[str, ...] | list[str]) -> list[str]:
    """``specs`` with each path made absolute from the current folder (``~`` expanded)."""
    out = []
    for spec in specs:
        prefix, path, rest = _parts(str(spec))
        out.append(prefix + os.path.abspath(user_path(path)) + rest if path else str(spec))
    return out


def recorded_corpora(provenance: dict[str, Any], name: str = "corpora") -> tuple[str, ...]:
    """The training corpora (``name="corpora"``) or validation corpora (``"val_data"``) a bundle's training
    record ``provenance`` names, each resolved one whose path exists in place of the one as given."""
    config, resolved = provenance.get("config"), provenance.get("resolved")
    given = provenance.get("corpora") if name == "corpora" else _dict(config).get("val_data")
    specs = [str(c) for c in given] if isinstance(given, list | tuple) else []
    absolute = _dict(resolved).get(name)
    if not isinstance(absolute, list) or len(absolute) != len(specs):
        return tuple(specs)
    return tuple(r if _found(str(r)) else g for g, r in zip(specs, absolute, strict=True))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _found(spec: str) -> bool:
    """Whether the path of ``spec`` exists (a ``sample:`` group has none: True)."""
    path = _parts(spec)[1]
    return not path or os.path.exists(path)
