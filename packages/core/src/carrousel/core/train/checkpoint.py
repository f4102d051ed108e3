"""Trainer checkpoints: atomic writes, keep-last-N rotation, a separate best checkpoint.

A checkpoint is one ``torch.save`` file of plain types and tensors (model, optimiser, scheduler, grad
scaler, counters, RNG states, sampler position, history, callback states), read back with
``torch.load(weights_only=True)``: no arbitrary objects are unpickled. Files are written through
:func:`carrousel.core.atomic.atomic_path` (temp file, fsync, rename), so a process killed during a write
leaves the previous checkpoint intact; stale temp files of a killed writer are removed on the next start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path
from typing import Any

import torch

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_path
from carrousel.core.errors import CheckpointError, FormatVersionError
from carrousel.core.paths import user_path

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "CheckpointManager",
    "find_latest",
    "load_checkpoint",
    "resolve_resume",
    "save_checkpoint",
]

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "carrousel-trainer"
CHECKPOINT_VERSION = 1
_NAME = re.compile(r"^ckpt-(\d+)-(\d+)\.pt$")


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Writes ``state`` (plain types and tensors) to ``path`` atomically and returns the path."""
    payload = {"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION, **state}
    path = user_path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Reads a checkpoint written by :func:`save_checkpoint` (``weights_only=True``: no pickled code).

    Raises:
        CheckpointError: when the file is missing, damaged or not a trainer checkpoint.
        FormatVersionError: when it was written by another checkpoint format version.
    """
    file = user_path(path)
    if not file.is_file():
        raise CheckpointError(f"checkpoint {file} not found; pass a file or folder written by the Trainer")
    try:
        state = torch.load(file, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"checkpoint {file} is damaged or not a trainer checkpoint ({_load_reason(exc)}); point to a "
            "ckpt-*.pt file written by the Trainer"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{file} is not a carrousel trainer checkpoint; point to a ckpt-*.pt file")
    if state.get("format_version") != CHECKPOINT_VERSION:
        raise FormatVersionError(
            f"{file} has checkpoint format {state.get('format_version')}, this trainer reads "
            f"{CHECKPOINT_VERSION}; resume with the carrousel version that wrote it"
        )
    return state


def find_latest(folder: str | Path) -> Path | None:
    """Returns the most recent ``ckpt-<epoch>-<step>.pt`` in ``folder`` (highest step), or None."""
    root = user_path(folder)
    if not root.is_dir():
        return None
    found = [(int(m.group(2)), int(m.group(1)), p) for p in root.iterdir() if (m := _NAME.match(p.name))]
    return max(found)[2] if found else None


def resolve_resume(resume: str | Path | None, checkpoint_dir: str | Path | None) -> Path | None:
    """Turns ``fit(resume=...)`` into a checkpoint file, or None for a fresh start.

    Args:
        resume: None (fresh start), a checkpoint file, a folder (its latest checkpoint), or ``"auto"``
            (the latest in ``checkpoint_dir`` when there is one, else a fresh start).
        checkpoint_dir: the trainer's checkpoint folder.

    Raises:
        CheckpointError: when a folder holds no checkpoint, or ``resume`` names no file or folder or is
            no path at all (``True``).
    """
    if resume is None:
        return None
    # resume=True (the latest, in other trainers) was a TypeError from pathlib
    if not isinstance(resume, str | os.PathLike):
        raise CheckpointError(
            f"resume takes a ckpt-*.pt file, a folder written by the Trainer or 'auto', got {resume!r} "
            f"({type(resume).__name__}); resume='auto' for the latest in TrainConfig.checkpoint_dir"
        )
    if str(resume) == "auto":
        return find_latest(checkpoint_dir) if checkpoint_dir else None
    path = user_path(resume)
    if path.is_dir():
        latest = find_latest(path)
        if latest is None:
            raise CheckpointError(f"no ckpt-*.pt checkpoint in {path}; pass a checkpoint file or folder")
        return latest
    if not path.exists():  # e.g. resume="latest" (read as a file name): name the word that means it
        raise CheckpointError(
            f"checkpoint {path} not found; pass a ckpt-*.pt file or a folder written by the Trainer, or "
            "resume='auto' for the latest in TrainConfig.checkpoint_dir"
        )
    return path


class CheckpointManager:
    """Writes ``ckpt-<epoch>-<step>.pt`` files into a folder, keeps the last ``keep_last``, and ``best.pt``.

    Args:
        folder: checkpoint folder (created on first write).
        keep_last: how many recent checkpoints to keep.
    """

    @check_args
    def __init__(self, folder: str | Path, keep_last: int = 2) -> None:
        self.folder = user_path(folder)
        self.keep_last = keep_last
        self._clean_temp()

    def _clean_temp(self) -> None:
        if not self.folder.is_dir():
            return
        for tmp in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                logger.info("removed stale temp file %s (from an interrupted write)", tmp)

    @check_args
    def save(self, state: dict[str, Any], epoch: int, step: int) -> Path:
        """Writes a checkpoint named after ``epoch`` and ``step`` and drops the oldest beyond keep_last."""
        path = save_checkpoint(self.folder / f"ckpt-{epoch:04d}-{step:09d}.pt", state)
        ckpts = sorted(
            (int(m.group(2)), int(m.group(1)), p) for p in self.folder.iterdir() if (m := _NAME.match(p.name))
        )
        for _, _, old in ckpts[: -self.keep_last]:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
        logger.debug("checkpoint written: %s", path)
        return path

    def save_best(self, state: dict[str, Any]) -> Path:
        """Writes ``best.pt`` (atomically replacing the previous best)."""
        return save_checkpoint(self.folder / "best.pt", state)

    def latest(self) -> Path | None:
        """The most recent checkpoint in the folder, or None."""
        return find_latest(self.folder)


def _load_reason(exc: BaseException) -> str:
    """The gist of a failed ``torch.load``, in one line: the unpickler's own reason for a file it refused
    (PyTorch's message around it runs over several lines and suggests ``weights_only=False``, which would
    run pickled code), else the first sentence of the message, else the exception's name."""
    text = " ".join(str(exc).split())
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].split(" Check the documentation", 1)[0].strip()
    else:
        text = text.split(". ", 1)[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
