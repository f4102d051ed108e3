"""Ctrl-C and ``SIGTERM`` at every moment of a command line's life: start-up, work and the way out.

Each console script (``finance``, ``bio``, ``nlp``, ``speech``) enters through :func:`launch`, from its
package's ``__main__`` module, which installs the signal handler before it imports the heavy CLI module
(torch and the CLI libraries: up to a second). A signal while that module is still importing ends the program with
one line ``interrupted`` and exit code 130, as a signal during a command does (:func:`carrousel.core.cli.run`);
under ``torchrun`` rank zero alone prints that line, and a rank that torchrun stops because a peer has failed
exits 1 in silence (the peer's error is the one line shown).

Once the command has finished (its result printed, its files written), a signal no longer changes the
outcome: the command's exit code stands (0 for a complete result) and nothing more is printed. That holds
through the interpreter's own shutdown too, where Python would put back the default action (a silent death
by the signal): :func:`launch` ignores both signals for the last steps (a hung exit then needs ``kill -9``).

This module imports only the standard library (and core's light :mod:`.cli_streams`), so that the handler is in place within milliseconds; the
remaining window is the interpreter's own start-up and the package's ``__init__`` (about 40 ms).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType
from typing import Any

from carrousel.core.cli_streams import CLOSED_STDOUT, ClosedOutput, prepare_streams

__all__ = [
    "EXIT_INTERRUPTED",
    "catch_signals",
    "connect",
    "held",
    "interrupted",
    "launch",
    "launch_rank",
    "peer_failed",
    "refuse_closed_stdout",
    "say_interrupted",
    "settle",
    "under_torchrun",
]

EXIT_INTERRUPTED = 130

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STATE = {"interrupted": False, "settled": False, "held": False}


def launch_rank() -> int:
    """This process's global rank in a ``torchrun`` launch of more than one process (``RANK`` when
    ``WORLD_SIZE`` > 1), else 0."""
    try:
        return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0
    except ValueError:
        return 0


def interrupted() -> bool:
    """True once a Ctrl-C or ``SIGTERM`` has reached the handler of :func:`catch_signals`."""
    return _STATE["interrupted"]


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _STATE["interrupted"] = True
    if not _STATE["settled"] and not _STATE["held"]:  # once settled, the outcome stands: signal ignored
        raise KeyboardInterrupt  # unwinds through every atomic write, which removes its temporary file


@contextmanager
def held() -> Iterator[None]:
    """A step that a signal must not cut in two (importing torch: a half-imported torch breaks every later
    import of it, up to a crash): a Ctrl-C or ``SIGTERM`` meanwhile raises :class:`KeyboardInterrupt` only
    once the step is done."""
    _STATE["held"] = True
    try:
        yield
    finally:
        _STATE["held"] = False
    if _STATE["interrupted"] and not _STATE["settled"]:
        raise KeyboardInterrupt


def catch_signals() -> dict[int, Any]:
    """Turns Ctrl-C and ``SIGTERM`` into :class:`KeyboardInterrupt` (a signal ignored by the parent stays
    ignored); returns the previous handlers, for :func:`settle`."""
    _STATE.update(interrupted=False, settled=False, held=False)
    previous: dict[int, Any] = {s: signal.getsignal(s) for s in _SIGNALS}
    for sig in (s for s, h in previous.items() if h is not signal.SIG_IGN):
        signal.signal(sig, _on_signal)
    return previous


def settle(previous: dict[int, Any] | None = None) -> None:
    """The outcome is decided: from now on a signal is ignored (once) instead of raising. With ``previous``
    (from :func:`catch_signals`), handlers that are still this module's are set back to those; a handler
    changed meanwhile (a failing ``torchrun`` rank ignores ``SIGTERM`` until its end) is left as it is."""
    _STATE["settled"] = True
    for sig, handler in (previous or {}).items():
        if signal.getsignal(sig) is _on_signal and handler is not _on_signal:
            signal.signal(sig, handler)


def say_interrupted() -> None:
    """The one line ``interrupted`` on stderr (rank zero only under ``torchrun``)."""
    if launch_rank() == 0:
        try:
            sys.stderr.write("interrupted\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def refuse_closed_stdout(previous: dict[int, Any] | None = None, args: Sequence[str] | None = None) -> None:
    """Ends the command before it runs when it started with stdout closed (``cmd >&-``): a command prints
    its results or a summary there, so it would fail only after its work (a training of minutes, files
    written). ``--help`` and ``--version`` too: they print nothing anywhere else. One line ``error:`` on
    stderr (rank zero's under ``torchrun``), exit 1. A no-op when stdout is open, and under ``-q`` /
    ``--quiet`` (``cmd -q -o out.json >&-`` needs no stdout): the command decides once its options are read
    (:func:`carrousel.core.cli_params.refuse_closed_stdout_for`), still before its work.

    Args:
        previous: the signal handlers of before (from :func:`catch_signals`), for :func:`settle`.
        args: the command line's arguments (default ``sys.argv[1:]``).

    Raises:
        SystemExit: with code 1, when stdout was closed at start (see :func:`prepare_streams`).
    """
    if not isinstance(sys.stdout, ClosedOutput):
        return
    words = set(sys.argv[1:] if args is None else args)
    if words & {"-q", "--quiet"} and not words & {"--help", "-h", "--version"}:
        return  # the command's own check decides (cli_params.refuse_closed_stdout_for)
    if launch_rank() == 0:
        try:
            sys.stderr.write(f"error: {CLOSED_STDOUT}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    settle(previous)
    raise SystemExit(1)


_CONNECTION: dict[str, tuple[Any, str] | None] = {}


def under_torchrun() -> bool:
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
    of the error path, so the import is :func:`held` against signals."""
    if not under_torchrun() or _torch_half_imported():
        return None
    if "store" not in _CONNECTION:
        _CONNECTION["store"] = None
        with held():
            _CONNECTION["store"] = _open_store()
    return _CONNECTION["store"]


def _torch_half_imported() -> bool:
    """True when an import of torch was cut short (a signal during the start-up's imports): importing it
    again would run torch's initialisation twice over its loaded C extension (a crash or a traceback)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return any(name.startswith("torch.") for name in sys.modules)
    return bool(getattr(getattr(torch, "__spec__", None), "_initializing", False))


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


def peer_failed() -> bool:
    """True when another process of this torchrun launch has reported an error (:func:`carrousel.core.cli_ranks.show_error`)."""
    if (found := connect()) is None:
        return False
    store, key = found
    try:
        return bool(store.check([key]))
    except RuntimeError:
        return False


def _stopped_at_start() -> int:
    """The exit code of a start-up cut short by a signal: 130 with the line ``interrupted``; under
    ``torchrun``, 1 in silence when a peer has failed (torchrun stops every rank then: a rank slow to start
    meets that signal before its command), as :func:`carrousel.core.cli.run` does for a rank stopped later.
    """
    if peer_failed():  # imports torch, and only under a torchrun launch
        return 1
    say_interrupted()
    return EXIT_INTERRUPTED


def launch(module: str) -> None:
    """Console entry point: catches signals, then imports ``module`` and calls its ``main()``.

    Args:
        module: the CLI module (``"carrousel.finance.cli"``), whose ``main()`` calls
            :func:`carrousel.core.cli.run`.

    Raises:
        SystemExit: with the command's exit code; 130 after a signal during start-up.
    """
    catch_signals()
    prepare_streams()  # a closed stdout or an ASCII locale, before any import opens a file
    refuse_closed_stdout()  # before the heavy imports: the command's results would have nowhere to go
    try:
        importlib.import_module(module).main()
    except SystemExit:
        settle()
        raise
    except BaseException:  # a signal during the imports, or before run() took over
        settle()
        if not interrupted():
            raise
        raise SystemExit(_stopped_at_start()) from None
    finally:  # the interpreter's shutdown resets Python handlers to the default action, not SIG_IGN
        for sig in (s for s in _SIGNALS if signal.getsignal(s) is _on_signal):
            signal.signal(sig, signal.SIG_IGN)
    settle()
