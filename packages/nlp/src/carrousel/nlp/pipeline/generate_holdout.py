"""The held-out tail ``nlp generate evaluate`` scores must be one the model never trained on.

``evaluate --holdout`` defaults to the model's own share; a larger one, on the very text the model trained
on, scores text the LSTM learnt while the n-gram baselines are fitted on less of it: the LSTM's perplexity
fell and the baselines' rose (botchan's first 15 kB, trained at 10%: at ``--holdout 0.3`` the LSTM 15.31 ->
15.02, the 3-gram 7.78 -> 8.14), with exit 0. The training text is recognised by its file names and the
token counts its split gave (``bundle.json``: ``data.files``, ``train_tokens``, ``held_out_tokens``).

A smaller share on that text is allowed (a shorter tail, a quicker score), but the baselines are then fitted on
the part the model trained on, not on all before the tail: fitted on more, and on the text right before the
tail, which the LSTM never read, they were favoured (a warning says so; the text between: unscored, unseen).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from carrousel.core.option_names import option
from carrousel.nlp.config import LMDataConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.tokenization import TextTokenizer

__all__ = ["check_holdout"]

logger = logging.getLogger(__name__)


def check_holdout(
    assets: Mapping[str, Any],
    recorded: Mapping[str, Any],
    tokenizer: TextTokenizer,
    data: LMDataConfig,
    split: Callable[[LMDataConfig], tuple[str, str]],
) -> list[int] | None:
    """Refuses a held-out share larger than the model's on the text it was trained on; for a smaller one, the
    token ids of the part the model trained on, for the baselines to be fitted on (with a warning).

    Args:
        assets: the bundle's assets (``holdout``: the share the model held out).
        recorded: the bundle's ``data`` (``files``, ``train_tokens``, ``held_out_tokens``).
        tokenizer: the model's tokenizer.
        data: the text and the share to score.
        split: ``(train, held_out)`` texts of a data config (``generate.split_text``).

    Returns:
        The token ids of the model's training part of ``data`` (encoded here, for its count, once) when
        ``data`` is that text and its share is smaller than the model's, else None (the baselines are fitted on
        all before the tail).

    Raises:
        TextDataError: ``data`` is the training text and its held-out share is larger than the model's.
    """
    trained = assets.get("holdout")
    if trained is None or data.holdout == float(trained):
        return None
    names = [Path(f).name for f in recorded.get("files", [])]
    if names != [Path(f).name for f in data.files]:
        return None
    train, held = split(replace(data, holdout=float(trained)))
    train_ids = tokenizer.encode(train)
    if (len(train_ids), len(tokenizer.encode(held))) != (
        recorded.get("train_tokens"),
        recorded.get("held_out_tokens"),
    ):
        return None  # another text of the same names: its tail was never trained on
    if data.holdout < float(trained):
        logger.warning(
            "%s scores the last %s of %s; the baselines are fitted on the first %s, the part the model trained "
            "on, as it (the %s between: read by neither, not scored)",
            option("data.holdout", data.holdout),
            f"{data.holdout:.0%}",
            ", ".join(names),
            f"{1 - float(trained):.0%}",
            f"{float(trained) - data.holdout:.0%}",
        )
        return train_ids
    raise TextDataError(
        f"{option('data.holdout', data.holdout)} scores the last {data.holdout:.0%} of {', '.join(names)}, but "
        f"the model trained on all of it but the last {float(trained):.0%}: the perplexities would read text it "
        f"learnt; give {option('data.holdout')} {float(trained):g} or less (left out: the model's own)"
    )
