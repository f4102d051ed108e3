"""What the CLI's error boundary (:func:`carrousel.core.cli.error_line`) says of a foreign error it knows:
out of memory, too many open files, another ``OSError``. Torch-free, with no CLI dependency.
"""

from __future__ import annotations

import errno

__all__ = ["open_files_limit", "os_error_text", "out_of_memory"]


def out_of_memory(exc: BaseException) -> bool:
    """Python's MemoryError, torch's OutOfMemoryError (a GPU's) and its CPU allocator's failure, a plain
    RuntimeError ('DefaultCPUAllocator: can't allocate memory': a model or batch too large to allocate)."""
    if isinstance(exc, MemoryError):
        return True
    if not isinstance(exc, RuntimeError):
        return False
    return type(exc).__name__ == "OutOfMemoryError" or "DefaultCPUAllocator: can't allocate memory" in str(
        exc
    )


def open_files_limit() -> int | None:
    """This process's soft limit on open files (``RLIMIT_NOFILE``), or None where unknown (Windows, no
    limit)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return None
    return None if soft == resource.RLIM_INFINITY else soft


def os_error_text(exc: OSError) -> str:
    """What failed and what to do, for an ``OSError`` no library code turned into a carrousel error.

    Too many open files (``EMFILE``: e.g. a command given a thousand model folders, the weights of each
    larger one kept open while the command runs, see :mod:`carrousel.core.bundle_pins`) names the limit and
    its fix; the system's table of open files full (``ENFILE``) and memory refused (``ENOMEM``) say so with
    theirs (reading a file hands these on as they came: :func:`carrousel.core.files_text.read_failure`); any
    other (a missing path, ``EACCES``, ``ENOSPC``...) says to check the path, its permissions and free space.
    """
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno == errno.EMFILE:
        limit = open_files_limit()
        cap = f" (this process may open {limit})" if limit is not None else ""
        return (
            f"{where}too many open files{cap}; raise the limit with 'ulimit -n' or load fewer models "
            "in one command"
        )
    if exc.errno == errno.ENFILE:
        return f"{where}too many open files in the system; close other programs or raise the system's limit"
    if exc.errno == errno.ENOMEM:
        return f"{where}out of memory; use a smaller input, batch size or model"
    return f"{where}{exc.strerror or exc}; check the path, its permissions and free space"
