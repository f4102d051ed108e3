"""The command lines under ``torchrun``: rank zero alone prints results and writes the outputs.

``torchrun --nproc_per_node N $(which bio) train ...`` starts the same command N times; the trainer
shards the data and keeps the weights identical on every process. Around each command the CLI helper
(:mod:`carrousel.core.cli`) runs :func:`rank_zero_outputs`: on the other ranks stdout goes nowhere, logs
and progress are off (errors still show) and every atomic writer (:mod:`carrousel.core.atomic`) writes to
scratch, so that a result is printed once and an output folder is written by one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout

from carrousel.core.atomic import discarding_writes

__all__ = ["launch_rank", "rank_zero_outputs"]


def launch_rank() -> int:
    """This process's global rank in a ``torchrun`` launch of more than one process (``RANK`` when
    ``WORLD_SIZE`` > 1), else 0."""
    try:
        return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0
    except ValueError:
        return 0


@contextmanager
def rank_zero_outputs() -> Iterator[None]:
    """On a non-zero ``torchrun`` rank: stdout to ``/dev/null`` and every atomic write discarded."""
    if launch_rank() == 0:
        yield
        return
    with open(os.devnull, "w") as sink, redirect_stdout(sink), discarding_writes():
        yield
