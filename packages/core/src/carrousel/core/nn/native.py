"""The fused C++ cell loops (``csrc/*.cpp``): compiled once per installation, loaded once per process.

The extension is built with ``torch.utils.cpp_extension.load`` (needs ``ninja``, in the core extra
``carrousel-core[native]``, and a C++ compiler) into ``$TORCH_EXTENSIONS_DIR`` (default
``~/.cache/torch_extensions``), as ``carrousel_cells_<isa>_<hash of the installation's csrc/ path>``: two
installations on one machine (two virtual environments) each keep their own library instead of rebuilding
a shared one at every switch. The first build takes about a minute on a small machine; every later
process finds the cached library (PyTorch rebuilds only when the source or the flags change), so no
shape ever triggers a compile. When anything is missing the loop cells fall back to the Python loop of
:mod:`.lstm_loop`, a training ``nn.GRU`` stays on ATen's loop (:mod:`.gru_native`), and
:func:`native_status` says why (also logged once).

``CARROUSEL_NATIVE_CELLS=0`` turns the extension off (the Python loop runs; nothing is compiled).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

__all__ = ["draw_mask", "native_applies", "native_ops", "native_status"]

logger = logging.getLogger(__name__)

_CSRC = Path(__file__).with_name("csrc")
_SOURCES = [_CSRC / name for name in ("lstm_cells.cpp", "ln_lstm_cells.cpp", "gru_cells.cpp")]
_HEADERS = [_CSRC / "cells_common.h"]  # included by both sources; its hash is in the flags (see _header_flag)
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def _flags() -> tuple[str, list[str]]:
    """Returns the vector ISA the kernels are built for (the CPU's, as PyTorch reports it) and its flags."""
    cap = os.environ.get("CARROUSEL_NATIVE_ISA", "").upper() or torch.backends.cpu.get_cpu_capability()
    if cap == "AVX512":
        isa = ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma"]
        return "avx512", ["-O3", *isa, "-DCPU_CAPABILITY=AVX512", "-DCPU_CAPABILITY_AVX512"]
    if cap == "AVX2":
        return "avx2", ["-O3", "-mavx2", "-mfma", "-DCPU_CAPABILITY=AVX2", "-DCPU_CAPABILITY_AVX2"]
    return "default", ["-O3", "-DCPU_CAPABILITY=DEFAULT"]


def _header_flag() -> str:
    """A define carrying the hash of the shared headers, so that a header change alone rebuilds the kernels.

    ``cpp_extension.load`` hashes only ``sources`` and the flags; ninja's depfiles would also catch a
    changed header, but the flag makes the rebuild not depend on that.
    """
    digest = hashlib.sha256()
    for header in _HEADERS:
        digest.update(header.read_bytes())
    return f"-DCARROUSEL_CELLS_HEADERS={digest.hexdigest()[:16]}"


def _cpp_extension() -> Any:
    """``torch.utils.cpp_extension``, imported without its CUDA_HOME guess on a machine without CUDA.

    A CUDA build of torch on a CPU-only machine logs "No CUDA runtime is found, using CUDA_HOME=..." at
    that import: noise in every command that builds or loads the CPU-only cell loops.
    """
    torch_logger = logging.getLogger("torch.utils.cpp_extension")
    level = torch_logger.level
    torch_logger.setLevel(logging.ERROR)
    try:
        from torch.utils import cpp_extension
    finally:
        torch_logger.setLevel(level)
    return cpp_extension


def _missing() -> str | None:
    """Says what stops a build (switched off, no ninja, no compiler), or None."""
    if os.environ.get("CARROUSEL_NATIVE_CELLS", "1").strip().lower() in ("0", "false", "no", "off"):
        return "switched off by CARROUSEL_NATIVE_CELLS=0"
    cpp_extension = _cpp_extension()

    if not cpp_extension.is_ninja_available():
        return "ninja is not installed (pip install 'carrousel-core[native]')"
    compiler = os.environ.get("CXX", "c++")
    if shutil.which(compiler) is None:
        return f"no C++ compiler ({compiler!r} not on PATH; install g++ or set CXX)"
    gone = [str(s) for s in (*_SOURCES, *_HEADERS) if not s.is_file()]
    if gone:
        return f"the kernel source {gone[0]} is missing from the installation"
    return None


def _cached(name: str) -> bool:
    """Whether this machine already holds the built library ``name`` (False when that cannot be told)."""
    cpp_extension = _cpp_extension()

    try:
        folder = Path(cpp_extension._get_build_directory(name, verbose=False))
    except Exception:  # a private helper of torch's: any change there only costs the message
        return False
    return (folder / f"{name}.so").is_file()


def _load() -> None:
    """Builds (first time on this machine) or loads the extension; records the outcome in ``_STATE``."""
    reason = _missing()
    if reason is None:
        isa, flags = _flags()
        cpp_extension = _cpp_extension()

        where = os.environ.get("TORCH_EXTENSIONS_DIR") or "~/.cache/torch_extensions"
        # one library per installation: two installations sharing a name rebuilt it at every switch
        place = hashlib.sha256(str(_CSRC.resolve()).encode()).hexdigest()[:10]
        name = f"carrousel_cells_{isa}_{place}"
        if _cached(name):
            logger.info("loading the fused cell loops (built once per installation, cached under %s)", where)
        else:  # a one-time pause of a minute or two: say so, or it looks like a hang
            logger.warning(
                "building the fused C++ cell loops once for this installation (1-2 minutes; cached under %s)",
                where,
            )
        try:
            cpp_extension.load(
                name=name,
                sources=[str(s) for s in _SOURCES],
                extra_cflags=[*flags, _header_flag()],
                is_python_module=False,
                verbose=False,
            )
            _STATE["ops"] = torch.ops.carrousel_cells
            _STATE["reason"] = f"fused C++ loop ({isa}, csrc/)"
            return
        except Exception as exc:  # any build or load failure means: use the Python loop
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            reason = f"the C++ build failed ({first[:200]})"
    _STATE["ops"] = None
    _STATE["reason"] = reason
    logger.info("fused cell loops unavailable, the Python loop runs: %s", reason)


def native_status() -> tuple[bool, str]:
    """Whether the fused C++ loops are usable in this process, and why (or why not).

    Builds or loads the extension on the first call (thread-safe); later calls are free.

    Returns:
        ``(available, reason)``.
    """
    with _LOCK:
        if "reason" not in _STATE:
            _load()
    return _STATE["ops"] is not None, str(_STATE["reason"])


def native_ops() -> Any:
    """The ``torch.ops.carrousel_cells`` namespace.

    Raises:
        RuntimeError: the extension is unavailable (callers check :func:`native_applies` first).
    """
    ok, reason = native_status()
    if not ok:
        raise RuntimeError(f"the fused C++ cell loops are unavailable: {reason}")
    return _STATE["ops"]


def native_applies(x: Tensor) -> tuple[bool, str]:
    """Whether the fused loops run on input ``x`` (any shape), and why (or why not).

    They run on CPU float32/float64 outside autocast, tracing and ``torch.compile``, once the extension
    is available (:func:`native_status`).
    """
    if x.device.type != "cpu":
        return False, f"the fused C++ loop is CPU-only (input on {x.device.type})"
    if x.dtype not in (torch.float32, torch.float64):
        return False, f"the fused C++ loop takes float32/float64 (input is {x.dtype})"
    if torch.is_autocast_enabled("cpu"):
        return False, "autocast is on (the fused C++ loop does not autocast)"
    if torch.jit.is_tracing() or torch.compiler.is_compiling():
        return False, "tracing or torch.compile (the fused C++ op is opaque to them)"
    return native_status()


def draw_mask(shape: tuple[int, ...], p: float, like: Tensor) -> Tensor:
    """A 0/1 mask with ``P(1) = p`` in ``like``'s dtype and device (the zoneout masks of every step, the
    recurrent-dropout mask).

    With the extension (CPU float32/64) the mask comes from its counter-based generator (two draws per
    64-bit hash), seeded by one draw from PyTorch's generator (so ``torch.manual_seed`` fixes it), several
    times faster than ``torch.bernoulli`` (scratch timings in the core README); ``P(1)`` is ``p`` rounded
    down to a multiple of ``2**-32``. Elsewhere it is ``torch.bernoulli``.

    Args:
        shape: mask shape, e.g. ``(T, B, H)``.
        p: probability of a 1.
        like: tensor whose dtype and device the mask takes.

    Returns:
        The mask, ``shape``.
    """
    if native_applies(like)[0]:
        seed = int(torch.randint(0, 2**62, (1,)))
        mask: Tensor = _STATE["ops"].bernoulli_mask(seed, list(shape), float(p), like.dtype)
        return mask
    return torch.bernoulli(like.new_full(shape, p))
