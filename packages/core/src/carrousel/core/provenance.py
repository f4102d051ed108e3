"""What a saved bundle's provenance says of its training, read the same way for every domain.

:func:`trained_precision` is the training arithmetic a bundle records (``"fp32"``, ``"bf16"``, ``"fp16"``),
and :func:`precision_report` the two keys every command that loads a trained bundle reports in ``--json``:
``trained_precision`` (how the network was trained) and ``precision`` (the arithmetic this run used).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["precision_report", "trained_precision"]


def trained_precision(record: Mapping[str, Any] | None, unrecorded: str | None = "fp32") -> str | None:
    """The training precision ``record`` holds: ``record["train"]["precision"]`` (core's trainer settings,
    as bio and speech keep them in a bundle's data and finance in its assets) or ``record["precision"]``
    (nlp's data); else ``unrecorded``.

    Args:
        record: a bundle's provenance mapping (its ``data``, or the asset holding the trainer settings).
        unrecorded: what a bundle without the record was trained in: ``"fp32"`` where the train command
            had no other arithmetic before it wrote the record (bio, nlp, speech), None where that cannot
            be told (finance: its ``[train] precision`` once named the forecasts' arithmetic alone).
    """
    record = record if isinstance(record, Mapping) else {}
    train = record.get("train")
    found = train.get("precision") if isinstance(train, Mapping) else record.get("precision")
    return str(found) if isinstance(found, str) else unrecorded


def precision_report(trained: str | None, run: str) -> dict[str, str | None]:
    """The ``--json`` keys of a run on a loaded bundle: ``trained_precision`` (None: not recorded) and
    ``precision`` (the run's inference arithmetic)."""
    return {"trained_precision": trained, "precision": str(run)}
