"""The command lines under ``torchrun``: rank zero alone prints results and writes the outputs.

``torchrun --nproc-per-node N --no-python -- bio train ...`` starts the same command N times; the
trainer shards the data and keeps the weights identical on every process. Around each command the CLI
helper (:mod:`carrousel.core.cli`) runs :func:`rank_zero_outputs`: on the other ranks stdout goes nowhere,
logs and progress are off and every atomic writer (:mod:`carrousel.core.atomic`) writes to scratch, so
that a result is printed once and an output folder is written by one process.

An error shows once too (:func:`show_error`): the ranks tell each other through torchrun's own key-value
store (``MASTER_ADDR:MASTER_PORT``, served by its agent); rank zero prints its error, another rank prints
its own only when rank zero has not failed. A failing rank then lets no ``SIGTERM`` of torchrun (sent when
a peer exits first) cut it short, and a rank stopped that way because a peer failed exits 1 in silence
(:func:`peer_failed`), so that every rank of a failed run exits 1 with one ``error:`` line in all.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout, suppress

from carrousel.core.atomic import discarding_writes
from carrousel.core.cli_start import connect, launch_rank, peer_failed, under_torchrun

__all__ = [
    "RANK_ZERO_WAIT_S",
    "connect",
    "launch_rank",
    "leave_group",
    "peer_failed",
    "rank_zero_outputs",
    "show_error",
]

RANK_ZERO_WAIT_S = 5.0
"""How long a failing rank other than zero waits for rank zero's error before it prints its own: the ranks
read the same input, so rank zero meets the same bad value within this time when it meets it at all."""


@contextmanager
def rank_zero_outputs() -> Iterator[None]:
    """On a non-zero ``torchrun`` rank: stdout to ``/dev/null`` and every atomic write discarded."""
    if launch_rank() == 0:
        yield
        return
    with open(os.devnull, "w") as sink, redirect_stdout(sink), discarding_writes():
        yield


def show_error(line: str) -> bool:
    """Whether this process prints its error ``line``: True on rank zero and outside torchrun; on another
    rank, True only when rank zero reports no error within :data:`RANK_ZERO_WAIT_S` seconds. Under torchrun
    the failure is recorded for the other ranks, and ``SIGTERM`` is ignored from here on (the process ends).
    """
    if not under_torchrun():
        return True
    with suppress(ValueError):  # not the main thread: nothing to set
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if (found := connect()) is None:
        return True
    rank, (store, key) = launch_rank(), found
    try:
        store.set(f"{key}/{rank}", line)
        store.add(key, 1)
        deadline = time.monotonic() + RANK_ZERO_WAIT_S
        while rank > 0 and time.monotonic() < deadline:
            if store.check([f"{key}/0"]):
                return False  # rank zero shows its own error
            time.sleep(0.05)
    except RuntimeError:  # the store went away: say it here rather than not at all
        return True
    return True


def leave_group() -> None:
    """Leaves the torch.distributed process group a successful torchrun rank joined (called by
    :func:`carrousel.core.cli.run` after a command that succeeded): a gloo group left to the interpreter's
    exit could abort the process (``terminate called without an active exception``, SIGABRT; seen once
    under load, and torchrun then stopped the other rank before its result). Never after a failure: a peer
    may be gone, and leaving must not wait on it. Never imports torch."""
    dist = sys.modules.get("torch.distributed")
    with suppress(Exception):
        if dist is not None and dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
        train_dist = sys.modules.get("carrousel.core.train.distributed")  # its gloo twin, freed now: not in
        if train_dist is not None:  # the exit's teardown, where gloo can abort the process
            train_dist.release_host_group()
