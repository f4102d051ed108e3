"""The one place a path given to a carrousel function gets its ``~`` expanded.

A shell expands ``~/models/m`` before a CLI sees it; Python does not, so ``Forecaster.save("~/m")`` used to
make a folder named ``~`` in the current directory. Where the expansion happens:

- every core function that writes or loads by itself: :func:`~carrousel.core.atomic.atomic_path` and
  :func:`~carrousel.core.atomic.atomic_dir` (so every atomic writer, PNG and bundle), bundle save and
  load, ``save_module`` / ``load_module``, checkpoints and the trainer's folders, ``read_text``,
  ``read_toml``; the output checks (``check_output_file``, ``check_output_dir``, ``refuse_other_files``)
  too, and they return the expanded path;
- a config's file and folder fields, named in its ``check_numbers(self, error, paths="model data")``;
- a domain entry point's own path arguments (``train(cfg, out)``, ``from_pretrained(path)``,
  ``export_*(cfg, out)``), with :func:`user_path` before anything else reads them.
- each domain's public readers and writers of a file a caller names (sequence, interval and table readers,
  corpus specs ``kind:~/path`` and manifests, result tables); :func:`user_spec` where the value may be a
  name that is no file (a hub data set), which must keep its exact text.

``check_input_file`` takes its path as given: the caller opens that same path afterwards. Expanding twice
changes nothing (an expanded path no longer starts with ``~``), so a path handed on from one entry point to
another stays as it is. A CLI expands nothing itself (the shell did): core's CLI helper makes a path option
that still starts with ``~`` (quoted, or ``./~``) absolute first (:func:`carrousel.core.cli_values.shell_path`).
Torch-free.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, overload

__all__ = ["expand_user_fields", "format_suffix", "is_gzip", "uncompressed_name", "user_path", "user_spec"]


def user_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`~pathlib.Path` with a leading ``~`` or ``~user`` expanded (as a shell does).

    Args:
        path: a file or folder, as a caller gave it.

    Returns:
        The path, its home prefix expanded; any other path unchanged (``"-"``, ``/dev/stdout``, relative,
        ``"./~"``: the string is expanded as given, before :class:`~pathlib.Path` drops its ``./``).
    """
    return Path(os.path.expanduser(os.fspath(path)))


@overload
def user_spec(spec: str) -> str: ...
@overload
def user_spec(spec: Path) -> Path: ...
@overload
def user_spec(spec: str | Path) -> str | Path: ...
def user_spec(spec: str | Path) -> str | Path:
    """``spec`` with a leading ``~`` expanded, of the type it came as: a value that names a file OR something else
    (a hub data set ``"imdb"``, ``"user/set"``) keeps its exact text unless it starts with ``~``.

    Args:
        spec: a file or folder, or a name that is none.

    Returns:
        A ``str`` for a ``str`` (expanded as :func:`user_path` expands it, never normalised), a
        :class:`~pathlib.Path` for a ``Path``.
    """
    return os.path.expanduser(spec) if isinstance(spec, str) else user_path(spec)


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is named as gzip-compressed: it ends in ``.gz``, in any case (``X.CSV.GZ`` too)."""
    return Path(os.fspath(path)).suffix.lower() == ".gz"


def uncompressed_name(path: str | os.PathLike[str]) -> str:
    """A file's name under a ``.gz`` in any case, which its format and stem are read from:
    ``CTCF.PFM.GZ`` -> ``CTCF.PFM``, ``reviews.csv.gz`` -> ``reviews.csv``, ``x.tsv`` -> ``x.tsv``."""
    p = Path(os.fspath(path))
    return p.stem if is_gzip(p) else p.name


def format_suffix(path: str | os.PathLike[str]) -> str:
    """The suffix that names a file's format, lower case, under a ``.gz`` in any case: ``reviews.csv.gz`` and
    ``REVIEWS.CSV.GZ`` -> ``.csv``, ``x.tsv`` -> ``.tsv``, ``x.gz`` and ``x`` -> ``""``.

    The one place every package reads a file's format from its name (before, three copies, one of which
    took ``X.CSV.GZ`` for a ``.gz`` of unknown format).
    """
    return Path(uncompressed_name(path)).suffix.lower()


def expand_user_fields(cfg: Any, *names: str) -> None:
    """Expands ``~`` in the named path fields of a frozen dataclass config, in place (from ``__post_init__``).

    A field holding None (or anything but a ``str``, a :class:`~pathlib.Path` or a tuple of them) is left
    alone; a ``str`` stays a ``str`` and a tuple a tuple, so the config's types and its saved form keep
    their shape. A name that is no file (a hub data set, a sample name) does not start with ``~`` and is
    kept as it is.

    Args:
        cfg: the config being built.
        names: its fields that hold a file or folder, or a tuple of them.
    """
    for name in names:
        value = getattr(cfg, name)
        new = tuple(_expanded(v) for v in value) if isinstance(value, tuple) else _expanded(value)
        if new != value:
            object.__setattr__(cfg, name, new)


def _expanded(value: Any) -> Any:
    return user_spec(value) if isinstance(value, str | Path) else value
