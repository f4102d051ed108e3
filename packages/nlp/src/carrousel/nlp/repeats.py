"""Repeated texts in labelled rows (retweets, copied reviews, templated sentences): counted, copies with
different labels warned of, and every copy of a text kept on one side of the held-out split.

Split by row, a text repeated in the training rows and the held-out rows is scored on rows the model
trained on: the held-out accuracy that chooses the best epoch and the decision cut is then inflated.
Two texts are the same when they read the same (:func:`carrousel.nlp.data.read_as`: HTML references read,
``don&#039;t`` as ``don't``) with runs of whitespace read as one space.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from carrousel.core.args import check_args
from carrousel.nlp.data import label_order, read_as, stratified_split

__all__ = ["TextRepeats", "text_split"]

logger = logging.getLogger(__name__)

_SHOWN = 60  # characters of the quoted example


@dataclass(frozen=True)
class TextRepeats:
    """How often labelled rows repeat a text."""

    repeated_texts: int = 0  # distinct texts that occur in more than one row
    repeated_rows: int = 0  # rows beyond each text's first copy
    conflicting_texts: int = 0  # repeated texts whose copies carry different labels


def _quote(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


@check_args
def text_split(
    texts: Sequence[str], labels: Sequence[str], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, TextRepeats]:
    """Indices ``(train, held_out)`` as :func:`carrousel.nlp.data.stratified_split` draws them over the
    distinct texts (each under its most frequent label), every copy of a text on its text's side; with no
    repeated text, the very split ``stratified_split(labels, fraction, seed)`` gives. Logs the repeats
    (INFO) and one WARNING counting the texts whose copies disagree (kept: real annotations disagree).

    Args:
        texts: a text per row.
        labels: a label per row.
        fraction: the share of each class's distinct texts held out (at least one each).
        seed: the shuffle's seed.

    A class with fewer than two distinct texts (each under its most frequent label) cannot keep one out
    whole: then, with a warning, the split is by row as before.

    Raises:
        TextDataError: a class with fewer than two rows (see ``stratified_split``).
    """
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(" ".join(read_as(text).split()), []).append(i)  # as read: "&#039;" is "'"
    members = list(groups.values())  # in order of first appearance: one row each gives the rows' order
    rank = {label: k for k, label in enumerate(label_order(labels))}
    majority, conflicts = [], []
    for rows in members:
        counts = Counter(labels[i] for i in rows)
        majority.append(max(counts, key=lambda label: (counts[label], -rank[label])))
        if len(counts) > 1:
            conflicts.append((rows, counts))
    repeats = TextRepeats(sum(len(rows) > 1 for rows in members), len(texts) - len(members), len(conflicts))
    if repeats.repeated_rows:
        per_class = Counter(majority)
        if few := [label for label in rank if per_class[label] < 2]:  # no text of its own to hold out
            logger.warning(
                "class %r has under 2 distinct texts (copies of one text), so no text of it can be held out "
                "whole: split by row, copies on both sides; the held-out accuracy is overstated",
                few[0],
            )
            return (*stratified_split(labels, fraction, seed), repeats)
        logger.info(
            "%d texts repeat (%d rows beyond their first copy, of %d rows): every copy of a text is kept on "
            "one side of the held-out split",
            *(repeats.repeated_texts, repeats.repeated_rows, len(texts)),
        )
    if conflicts:
        rows, counts = conflicts[0]
        shown = ", ".join(
            f"{label!r} {n}x" for label, n in sorted(counts.items(), key=lambda kv: rank[kv[0]])
        )
        logger.warning(
            "%d repeated texts carry different labels on their copies (first: %s as %s): all kept, each "
            "text on one side of the split and stratified under its most frequent label; check the "
            "annotations if that is more than a few",
            *(len(conflicts), _quote(texts[rows[0]]), shown),
        )
    held_groups = stratified_split(majority, fraction, seed)[1]
    held = np.zeros(len(members), dtype=bool)
    held[held_groups] = True
    train_rows = [i for g, rows in enumerate(members) if not held[g] for i in rows]
    held_rows = [i for g, rows in enumerate(members) if held[g] for i in rows]
    return (
        np.sort(np.asarray(train_rows, dtype=np.int64)),
        np.sort(np.asarray(held_rows, dtype=np.int64)),
        repeats,
    )
