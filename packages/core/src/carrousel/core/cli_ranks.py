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
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout, suppress
from datetime import timedelta
from typing import Any

from carrousel.core.atomic import discarding_writes
from carrousel.core.cli_start import held, launch_rank

__all__ = ["RANK_ZERO_WAIT_S", "connect", "launch_rank", "peer_failed", "rank_zero_outputs", "show_error"]

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


_CONNECTION: dict[str, tuple[Any, str] | None] = {}


def _under_torchrun() -> bool:
    """True in a process of a ``torchrun`` launch of more than one process, served by its agent's store."""
    env = os.environ
    try:
        world = int(env.get("WORLD_SIZE", "1") or 1)
    except ValueError:
        return False
    return world > 1 and env.get("TORCHELASTIC_USE_AGENT_STORE") == "True"


def connect() -> tuple[Any, str] | None:
    """torchrun's key-value store (a client of its agent's) and this launch's key prefix; None outside a
    multi-process torchrun launch or when the store does not answer. Opened once, by
    :func:`carrousel.core.cli.run` before the command: importing torch takes a second, and a ``SIGTERM`` of
    torchrun in the middle of it (a peer failed first) left a half-imported torch that crashed the import
    of the error path, so the import is :func:`~carrousel.core.cli_start.held` against signals."""
    if not _under_torchrun():
        return None
    if "store" not in _CONNECTION:
        _CONNECTION["store"] = None
        with held():
            _CONNECTION["store"] = _open_store()
    return _CONNECTION["store"]


def _open_store() -> tuple[Any, str] | None:
    env = os.environ
    try:
        import torch.distributed as dist

        store = dist.TCPStore(
            env["MASTER_ADDR"], int(env["MASTER_PORT"]), is_master=False,
            timeout=timedelta(seconds=10), wait_for_workers=False,
        )  # fmt: skip
    except (ImportError, KeyError, ValueError, RuntimeError):
        return None
    run = f"{env.get('TORCHELASTIC_RUN_ID', '')}/{env.get('TORCHELASTIC_RESTART_COUNT', '0')}"
    return store, f"carrousel/cli/{run}/failed"


def show_error(line: str) -> bool:
    """Whether this process prints its error ``line``: True on rank zero and outside torchrun; on another
    rank, True only when rank zero reports no error within :data:`RANK_ZERO_WAIT_S` seconds. Under torchrun
    the failure is recorded for the other ranks, and ``SIGTERM`` is ignored from here on (the process ends).
    """
    if not _under_torchrun():
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


def peer_failed() -> bool:
    """True when another process of this torchrun launch has reported an error (:func:`show_error`)."""
    if (found := connect()) is None:
        return False
    store, key = found
    try:
        return bool(store.check([key]))
    except RuntimeError:
        return False
