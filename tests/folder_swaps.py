"""Another run's save of a model folder, as a test makes it happen during a command: renames only, not this
process's own :func:`carrousel.core.folder_swap.replace_folder` (which tells core's bundle pins that the
folder changed, so the command would read it afresh)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from carrousel.core.folder_swap import exchange

__all__ = ["files_in", "swapped_in_by_another_run"]


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
