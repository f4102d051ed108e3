"""Reading the labels of evaluation data as a model's labels.

Human-rated sets come labelled ``pos``/``neg``, ``0``/``1``, ``Positive``/``Negative``... while a model
knows its own names (the shipped one: ``negative``, ``positive``). :func:`resolve_labels` maps the data's
labels onto the model's: by an explicit map (``--label-map "pos=positive,neg=negative"``), or, when no
map is given and some data labels are unknown, by a fixed table of synonyms (case-insensitive) when that
reading is unambiguous; ``0``/``1`` (and ``-1``/``1``) are read as negative/positive only when the
model's labels are exactly a negative/positive pair.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from carrousel.core.text import name_some
from carrousel.nlp.errors import LabelMismatchError

__all__ = ["LabelMapError", "parse_label_map", "resolve_labels"]

logger = logging.getLogger(__name__)

# the fixed table: each word (lower case) and the polarity it names
_WORDS = {"negative": "negative", "neg": "negative", "positive": "positive", "pos": "positive"}
# numbers: read as a polarity only when the model's labels are exactly a negative/positive pair
_NUMBERS = {"0": "negative", "-1": "negative", "1": "positive", "+1": "positive"}


class LabelMapError(LabelMismatchError):
    """A label map given by the user is malformed or does not fit the data and the model."""


def parse_label_map(text: str) -> dict[str, str]:
    """``"pos=positive,neg=negative"`` as ``{"pos": "positive", "neg": "negative"}``.

    Raises:
        LabelMapError: an entry is not ``DATA=MODEL`` or a data label is given twice.
    """
    mapping: dict[str, str] = {}
    for entry in text.split(","):
        source, sep, target = (part.strip() for part in entry.partition("="))
        if not sep or not source or not target:
            raise LabelMapError(
                f"--label-map entry {entry.strip()!r} is not DATA=MODEL; give e.g. 'pos=positive,neg=negative'"
            )
        if source in mapping:
            raise LabelMapError(f"--label-map maps data label {source!r} twice; give it once")
        mapping[source] = target
    return mapping


def _polarity(label: str, numbers: bool) -> str | None:
    word = label.strip().lower()
    return _WORDS.get(word) or (_NUMBERS.get(word) if numbers else None)


def _automatic(found: Sequence[str], model: Sequence[str]) -> dict[str, str] | None:
    """The synonym reading of ``found`` as ``model``'s labels, or None when it is not unambiguous."""
    if len(model) != 2 or not 1 <= len(found) <= 2:
        return None
    pair = {_polarity(label, numbers=False) for label in model}
    if pair != {"negative", "positive"}:
        return None
    by_polarity = {_polarity(label, numbers=False): label for label in model}
    mapping = {}
    for label in found:
        polarity = _polarity(label, numbers=True)
        if polarity is None:
            return None
        mapping[label] = by_polarity[polarity]
    return mapping if len(set(mapping.values())) == len(mapping) else None


def _mismatch(found: Sequence[str], model: Sequence[str], source: str) -> str:
    return (
        f"--data {source} has labels {name_some(list(found), quote=True)}; the model was trained on "
        f"{', '.join(map(repr, model))}"
    )


def resolve_labels(
    labels: Sequence[str], model: Sequence[str], source: str, given: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str] | None]:
    """The data's ``labels`` as ``model``'s labels, and the map used (None: the labels were the model's).

    Args:
        labels: one label per row of the data.
        model: the model's classes.
        source: the data's name, for the messages.
        given: the user's map (data label -> model label); data labels it leaves out must be the model's.

    Returns:
        ``(labels as the model's, {data label: model label} or None)``.

    Raises:
        LabelMapError: ``given`` names a label the model lacks or leaves a data label unknown.
        LabelMismatchError: no map given, and the data holds labels the model does not know that the
            table of synonyms cannot read unambiguously.
    """
    found = sorted(set(labels))
    known = set(model)
    if given is not None:
        wrong = sorted({t for t in given.values() if t not in known})
        left = sorted({label for label in found if label not in given and label not in known})
        if wrong or left:
            problem = (
                f"maps to {name_some(wrong, quote=True)}, not a model label"
                if wrong
                else f"leaves {name_some(left, quote=True)} unmapped"
            )
            raise LabelMapError(f"--label-map {problem}: {_mismatch(found, model, source)}")
        mapping = {label: given.get(label, label) for label in found}
    elif not set(found) - known:
        return list(labels), None
    else:
        auto = _automatic(found, model)
        if auto is None:
            unknown = sorted(set(found) - known)
            raise LabelMismatchError(
                f"--data {source} has labels {name_some(unknown, quote=True)} the model does not know; it was "
                f"trained on {', '.join(map(repr, model))} (check --label-col, or give --label-map "
                f"'DATA=MODEL,...')"
            )
        mapping = auto
        shown = ", ".join(f"{k}={v}" for k, v in mapping.items())
        logger.warning(
            "--data %s labels read as the model's: %s (give --label-map to map them otherwise)", source, shown
        )
    return [mapping[label] for label in labels], mapping
