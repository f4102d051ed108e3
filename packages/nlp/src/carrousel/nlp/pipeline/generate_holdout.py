"""The held-out tail ``nlp generate evaluate`` scores must be one the model never trained on.

``evaluate --holdout`` defaults to the model's own share; a larger one, on the very text the model trained
on, scores text the LSTM learnt while the n-gram baselines are fitted on less of it: the LSTM's perplexity
fell and the baselines' rose (botchan's first 15 kB, trained at 10%: at ``--holdout 0.3`` the LSTM 15.31 ->
15.02, the 3-gram 7.78 -> 8.14), with exit 0. The training text is recognised by its file names and the
token counts its split gave (``bundle.json``: ``data.files``, ``train_tokens``, ``held_out_tokens``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from carrousel.core.option_names import option
from carrousel.nlp.config import LMDataConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.tokenization import TextTokenizer

__all__ = ["check_holdout"]


def check_holdout(
    assets: Mapping[str, Any],
    recorded: Mapping[str, Any],
    tokenizer: TextTokenizer,
    data: LMDataConfig,
    split: Callable[[LMDataConfig], tuple[str, str]],
) -> None:
    """Refuses a held-out share larger than the model's on the text it was trained on.

    Args:
        assets: the bundle's assets (``holdout``: the share the model held out).
        recorded: the bundle's ``data`` (``files``, ``train_tokens``, ``held_out_tokens``).
        tokenizer: the model's tokenizer.
        data: the text and the share to score.
        split: ``(train, held_out)`` texts of a data config (``generate.split_text``).

    Raises:
        TextDataError: ``data`` is the training text and its held-out share is larger than the model's.
    """
    trained = assets.get("holdout")
    if trained is None or data.holdout <= float(trained):
        return
    names = [Path(f).name for f in recorded.get("files", [])]
    if names != [Path(f).name for f in data.files]:
        return
    train, held = split(replace(data, holdout=float(trained)))
    if (len(tokenizer.encode(train)), len(tokenizer.encode(held))) != (
        recorded.get("train_tokens"),
        recorded.get("held_out_tokens"),
    ):
        return  # another text of the same names: its tail was never trained on
    raise TextDataError(
        f"{option('data.holdout', data.holdout)} scores the last {data.holdout:.0%} of {', '.join(names)}, but "
        f"the model trained on all of it but the last {float(trained):.0%}: the perplexities would read text it "
        f"learnt; give {option('data.holdout')} {float(trained):g} or less (left out: the model's own)"
    )
