"""Where the fused C++ loops are built: one cached library per installation, so two installations on one
machine (two virtual environments, a checkout beside a pip install, two worktrees) stop rebuilding each
other's library. They shared the folder ``carrousel_cells_<isa>``; ninja rebuilt it whenever the sources'
path in its build file changed, 17-26 s at each switch (measured with ``native_status()`` alternating
between a worktree and a pip install), while the log said "loading ... (built once per machine)"."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from carrousel.core.nn import native


def _build_name(monkeypatch: pytest.MonkeyPatch, csrc: Path) -> str:
    """The library name ``native_status`` asks PyTorch to build or load for sources in ``csrc``."""
    from torch.utils import cpp_extension

    seen: dict[str, Any] = {}
    monkeypatch.setattr(native, "_STATE", {})
    monkeypatch.setattr(native, "_CSRC", csrc)
    monkeypatch.setattr(native, "_SOURCES", [csrc / s.name for s in native._SOURCES])
    monkeypatch.setattr(native, "_HEADERS", [csrc / h.name for h in native._HEADERS])
    monkeypatch.setattr(native, "_missing", lambda: None)
    monkeypatch.setattr(native, "_cached", lambda name: True)
    monkeypatch.setattr(cpp_extension, "load", lambda **kw: seen.update(kw))
    native.native_status()
    assert all(Path(s).parent == csrc for s in seen["sources"])
    return str(seen["name"])


def test_each_installation_builds_its_own_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for place in ("venv-a", "venv-b"):
        shutil.copytree(native._CSRC, tmp_path / place / "csrc")
    a = _build_name(monkeypatch, tmp_path / "venv-a" / "csrc")
    b = _build_name(monkeypatch, tmp_path / "venv-b" / "csrc")
    assert a != b and a.startswith("carrousel_cells_") and b.startswith("carrousel_cells_")
    assert _build_name(monkeypatch, tmp_path / "venv-a" / "csrc") == a  # the same installation: cached


def test_checking_for_the_build_logs_nothing_about_cuda() -> None:
    """A CUDA build of torch on a CPU-only machine logs "No CUDA runtime is found, using CUDA_HOME=..." when
    ``torch.utils.cpp_extension`` is imported; the cell loops are CPU code, so any command that checked for
    or loaded them printed that line to the user (seen from a pip-installed wheel on this machine)."""
    import subprocess
    import sys

    code = "from carrousel.core.nn import native; native._missing(); native._cached('carrousel_cells_none')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "CUDA_HOME" not in done.stderr, done.stderr
