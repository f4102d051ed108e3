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
from carrousel.speech.corpus_spec import corpus_parts

__all__ = ["recorded_corpora", "resolved_corpora"]


def resolved_corpora(specs: tuple[str, ...] | list[str]) -> list[str]:
    """``specs`` with each path made absolute from the current folder (``~`` expanded)."""
    out = []
    for spec in specs:
        kind, path, split = corpus_parts(str(spec))
        if kind == "sample" or not path:  # a sample group: no path
            out.append(str(spec))
            continue
        prefix, rest = f"{kind}:" if kind else "", "" if split is None else f"#{split}"
        out.append(prefix + os.path.abspath(user_path(path)) + rest)
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
    kind, path, _ = corpus_parts(spec)
    return kind == "sample" or not path or os.path.exists(path)
