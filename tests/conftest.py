"""Shared fixtures: deterministic seeds and the list of devices to run device-parametrised tests on."""

from __future__ import annotations

import logging
import os
import random
import signal
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from tests.cli_harness import invoke  # noqa: F401  (the in-process CLI fixture, for every test module)

os.environ.setdefault("MPLBACKEND", "Agg")

# A suite started as a background job (`make test &`, `nohup`, some CI runners) inherits SIGINT ignored and
# hands that on to every process it starts: the tests of Ctrl-C then waited for an interrupt that never
# came (a timeout) or saw none (exit 0, not 130). They run as in a terminal's foreground job instead.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Under pytest-xdist (`make test` runs one worker per core, at most 4) every worker process would start
# PyTorch's default of one intra-op thread per core: W workers on C cores then run W x C threads and
# hand-offs between oversubscribed threads make the small models of the tests several times slower. Each
# worker takes its share of the cores instead (tests that set their own count restore this one).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // _WORKERS))

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _cli_logging_restored() -> Iterator[None]:
    """Every test starts with the ``carrousel`` and ``py.warnings`` loggers as they were: a CLI run in this
    process sets their handler, level and propagation (``--quiet``: ERROR), which silenced the warnings
    later tests of the library expect (a chart's missing-matplotlib warning, GARCH's non-convergence) when
    a ``-q`` run happened to come first."""
    loggers = [logging.getLogger(name) for name in ("carrousel", "py.warnings")]
    saved = [(log.handlers[:], log.level, log.propagate) for log in loggers]
    yield
    for log, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        log.handlers[:] = handlers
        log.setLevel(level)
        log.propagate = propagate


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """Runs a test on CPU and, where CUDA exists, on the GPU too."""
    return torch.device(request.param)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Runs a test on one intra-op thread, then restores the setting. The models in tests are tiny: extra
    threads only add hand-off overhead, which on a loaded 2-core machine makes small LSTM and LayerNorm
    steps 10-20x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
