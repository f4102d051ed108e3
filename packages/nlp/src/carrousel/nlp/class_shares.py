"""Warnings on the classes of labelled training rows: far apart, or too few to hold a share out."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from carrousel.core.args import check_args
from carrousel.core.text import percent

__all__ = ["warn_class_shares"]

logger = logging.getLogger(__name__)


@check_args
def warn_class_shares(labels: Sequence[str], fraction: float) -> None:
    """Warns when a class has under 5% of the rows (the held-out accuracy is then near the majority
    class's whatever the model learns), and when holding out one row of every class takes well over
    ``fraction`` of the rows (10 rows of 5 classes: 5 held out).

    Args:
        labels: a label per row.
        fraction: the share held out per class (at least one row each).
    """
    counts, n = Counter(labels), len(labels)
    small, few = min(counts.items(), key=lambda kv: kv[1])
    if few < 0.05 * n:
        logger.warning(
            "class %r has %d of %d rows (%s): the held-out accuracy is near the majority class's whatever"
            " the model learns; judge it by that class's recall (nlp sentiment evaluate's confusion matrix)",
            *(small, few, n, percent(few / n)),
        )
    held = sum(max(1, round(k * fraction)) for k in counts.values())
    if held > max(2 * fraction * n, 2):
        logger.warning(
            "%d of %d rows held out for early stopping (not %s): every class keeps one; %d left to train on,"
            " give more rows per class",
            *(held, n, percent(fraction), n - held),
        )
