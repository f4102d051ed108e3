"""Another run's save of a model folder, as a test makes it happen during a command: renames only, not this
process's own :func:`carrousel.core.folder_swap.replace_folder` (which tells core's bundle pins that the
folder changed, so the command would read it afresh). Also an export interrupted while it measures the new
folder, which must leave the earlier one in place."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from carrousel.core.folder_swap import exchange

__all__ = ["files_in", "interrupted_while_measured", "swapped_in_by_another_run"]


def swapped_in_by_another_run(new: Path, target: Path) -> None:
    """Puts the complete folder ``new`` in the place of the folder ``target`` as another run's save does: one
    atomic exchange (the old folder, then at ``new``, removed) or, on a file system without it, the same two
    renames (the old folder moved aside to ``<new>.old``). ``new`` is gone afterwards."""
    if exchange(new, target):
        shutil.rmtree(new)
    else:
        os.rename(target, target.parent / f"{new.name}.old")
        os.rename(new, target)


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path, with its bytes: two calls compare a folder's contents."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _interrupted(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def interrupted_while_measured(
    monkeypatch: pytest.MonkeyPatch, deploy: ModuleType, earlier: Path, out: Path
) -> Iterator[None]:
    """``out`` made a copy of the folder ``earlier`` (an earlier export of the same kind) and ``deploy``'s
    ``measure_latency`` interrupted (Ctrl-C): the export the block runs into ``out`` must leave it byte for
    byte, with no staged folder left beside it."""
    shutil.copytree(earlier, out)
    before = files_in(out)
    monkeypatch.setattr(deploy, "measure_latency", _interrupted)
    yield
    assert files_in(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no staged folder left behind
