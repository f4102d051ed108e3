"""Seeding, deterministic mode and capture/restore of every random number generator.

Deterministic mode (``set_seed(seed, deterministic=True)``) seeds python, numpy and torch (all CUDA
devices too), calls ``torch.use_deterministic_algorithms(True)``, turns off cuDNN autotuning and sets
``CUBLAS_WORKSPACE_CONFIG``. On CPU two runs of the same code then give bit-identical weights.

What it cannot promise on GPU: results are reproducible only on the same GPU model, driver, CUDA/cuDNN
and PyTorch versions and the same number of processes; some CUDA kernels have no deterministic version
and raise an error in this mode (e.g. some scatter/index_add backward passes; ``CTC`` loss);
``CUBLAS_WORKSPACE_CONFIG`` only takes effect if set before the first cuBLAS call of the process; and
multi-process (DDP) all-reduce sums may be ordered differently across runs with NCCL algorithms that
are not deterministic. Results also differ between CPU and GPU.
"""

from __future__ import annotations

import os
import random
import secrets
from typing import Any

import numpy as np
import torch

from carrousel.core.args import check_args

__all__ = ["DeterministicGuard", "draw_seed", "get_rng_state", "set_rng_state", "set_seed"]


def draw_seed() -> int:
    """A fresh seed, ``0 <= seed < 2**31``, from the operating system's entropy, for a run given no seed to
    use and report (so that it can be repeated); no random number generator's state is touched."""
    return secrets.randbelow(2**31)


@check_args
def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seeds python, numpy and torch (CPU and every CUDA device).

    Args:
        seed: the seed.
        deterministic: also make PyTorch use deterministic algorithms (see the module docstring for the
            limits on GPU). The flag is process-wide; :class:`DeterministicGuard` restores it.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


class DeterministicGuard:
    """Context manager restoring PyTorch's deterministic flags as they were on entry."""

    def __enter__(self) -> DeterministicGuard:
        self._algos = torch.are_deterministic_algorithms_enabled()
        self._warn = torch.is_deterministic_algorithms_warn_only_enabled()
        self._cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
        return self

    def __exit__(self, *exc: object) -> None:
        torch.use_deterministic_algorithms(self._algos, warn_only=self._warn)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = self._cudnn


def get_rng_state() -> dict[str, Any]:
    """Returns the state of every RNG (python, numpy, torch's CPU one, CUDA's and Apple MPS's where present)
    as plain types and tensors (loadable with ``weights_only=True``)."""
    version, internal, gauss = random.getstate()
    np_state = np.random.get_state(legacy=True)
    assert isinstance(np_state, tuple)
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": {
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if torch.backends.mps.is_available():  # dropout and zoneout masks drawn on an Apple GPU
        state["mps"] = torch.mps.get_rng_state()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restores RNG states captured by :func:`get_rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    npd = state["numpy"]
    keys = npd["keys"].cpu().numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, npd["pos"], npd["has_gauss"], npd["cached_gaussian"]))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
    if "mps" in state and torch.backends.mps.is_available():
        torch.mps.set_rng_state(state["mps"].cpu())
