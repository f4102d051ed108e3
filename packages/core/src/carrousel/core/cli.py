"""One conventions layer for every carrousel command line (needs the ``carrousel-core[cli]`` extra).

Every domain CLI (``finance``, ``bio``, ``nlp``, ``speech``) is built with :func:`create_app`, declares
its commands with :func:`command` and is started by :func:`run`, so all of them behave the same way:

======================  ===========================================================================
``-h`` / ``--help``     help of the program or of a command; ``--version`` prints the version
``-v`` / ``--verbose``  info logs, third-party warnings and, on error, the traceback (for bug reports)
``-q`` / ``--quiet``    errors only: no progress bars, no logs
choices                 :class:`enum.Enum` options: ``--help`` lists them, a wrong one is a usage error
flags                   ``--json``, ``--exact-qvalues``...: on/off switches that take no value
stdout / stderr         results (tables, hits, JSON) on stdout; logs (a line each), progress, errors on stderr
``--json``              strict JSON on stdout (no NaN/Infinity: a non-finite number is an error)
exit codes              0 ok; 1 runtime or data error (one line ``error: ...``); 2 usage error;
                        130 interrupted (Ctrl-C or SIGTERM, from start-up on; temporary files are
                        removed; one line, rank zero's under torchrun; see :mod:`.cli_start`)
======================  ===========================================================================

Only core's ``cli*`` modules import typer and rich (``import carrousel.core`` loads neither). Library code
raises one-line errors (:class:`~carrousel.core.errors.CarrouselError`); the boundary makes any error one.

An error names a setting through :func:`carrousel.core.option_names.option` (``option("lookback", 10)``),
never as a literal flag: a command's body runs inside :func:`~carrousel.core.option_names.flags_named`, so
the CLI user reads ``--lookback 10`` while a Python caller of the same pipeline reads ``lookback=10``.
(Done for finance's window and backtest settings and bio's training and evaluation sets; other messages
still spell their flags.)
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Annotated, Any, TypeVar

from carrousel.core.bundle_pins import pinned_bundles
from carrousel.core.cli_console import ResultsConsole, stdout_gone
from carrousel.core.cli_errors import os_error_text, out_of_memory
from carrousel.core.cli_logging import OneLineHandler, route_third_party
from carrousel.core.cli_merged import Merged, merged_settings, refuse_merged
from carrousel.core.cli_options import (
    DistillHidden,
    ExportPrecision,
    ExportWith,
    FinetuneEpochs,
    PruneShare,
    RunPrecision,
    TrainPrecision,
    TrainPrecisionOrConfig,
    check_idle_finetune,
    epochs_option,
    refuse_idle_finetune,
    typed,
)
from carrousel.core.cli_params import name_metavar, param_name, parse_float_range, refuse_closed_stdout_for
from carrousel.core.cli_ranks import connect, leave_group, peer_failed, rank_zero_outputs, show_error
from carrousel.core.cli_start import (
    EXIT_INTERRUPTED,
    catch_signals,
    interrupted,
    launch_rank,
    refuse_closed_stdout,
    say_interrupted,
    settle,
)
from carrousel.core.cli_streams import prepare_streams, writing_stdout
from carrousel.core.cli_values import Above, Below, option_problem, shell_path, to_jsonable
from carrousel.core.errors import CarrouselError
from carrousel.core.option_names import flags_named
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
except ImportError as e:
    raise missing_extra(e, "typer", "carrousel-core[cli]", "the CLI helper (carrousel.core.cli)") from None

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Above",
    "Below",
    "DistillHidden",
    "ExportPrecision",
    "ExportWith",
    "FinetuneEpochs",
    "Merged",
    "PruneShare",
    "RunPrecision",
    "TrainPrecision",
    "TrainPrecisionOrConfig",
    "bars_on",
    "check_idle_finetune",
    "command",
    "create_app",
    "echo",
    "emit_json",
    "epochs_option",
    "error_line",
    "is_quiet",
    "merged_settings",
    "print_deployment",
    "progress",
    "refuse_idle_finetune",
    "refuse_merged",
    "run",
    "stderr",
    "stdout",
    "to_jsonable",
    "typed",
]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2  # EXIT_INTERRUPTED (130) comes from cli_start

F = TypeVar("F", bound=Callable[..., Any])


stdout = ResultsConsole(soft_wrap=True)
"""Results (tables, text) go here."""
stderr = Console(stderr=True, soft_wrap=True)
"""Logs, progress and errors go here."""

_STATE = {"verbose": False, "quiet": False}

Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Info logs, warnings and tracebacks (for bug reports).")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Errors only: no progress, no logs.")]


def create_app(name: str, help: str, version: str | Callable[[], str]) -> typer.Typer:
    """A typer app following the conventions: ``-h``, ``--version``, help when run without a command.

    Args:
        name: program name (``"finance"``).
        help: one-line description shown by ``--help``.
        version: the version string ``--version`` prints (``"carrousel-finance 0.1.0"``), or a function
            giving it, called only for ``--version``: reading an installed version imports
            :mod:`importlib.metadata` (:mod:`carrousel.core.version`), which every other start (``--help``,
            a command) then does without.
    """
    app = typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    )

    def show_version(value: bool) -> None:
        if value:
            typer.echo(version() if callable(version) else version)
            raise typer.Exit()

    @app.callback()
    def main(
        _version: bool = typer.Option(
            False, "--version", callback=show_version, is_eager=True, help="Show the version and exit."
        ),
    ) -> None:
        pass

    main.__doc__ = help
    return app


def command(app: typer.Typer, name: str | None = None, quiet_with: str | None = None) -> Callable[[F], F]:
    """Registers ``func`` as a command of ``app`` with ``-v/--verbose`` and ``-q/--quiet`` added.
    ``quiet_with``: the parameter of the file or folder that holds the results, with which ``-q`` prints
    nothing (:func:`~carrousel.core.cli_outputs.summary_hidden`): a closed stdout then does not stop it.

    The command body runs inside the error boundary (:func:`_boundary`): logging is set up from the two
    flags, and any exception becomes one ``error:`` line on stderr with exit code 1. It reads each model
    folder once (:func:`~carrousel.core.bundle_pins.pinned_bundles`): all old or all new, never a mix.
    """

    def deco(func: F) -> F:
        sig = inspect.signature(func, eval_str=True)
        params = list(sig.parameters.values())
        extra = [
            inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Verbose),
            inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Quiet),
        ]
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params] + extra
        for p in params:
            name_metavar(p.name, p.annotation)
            parse_float_range(p.annotation)
        flags = {p.name: param_name(p) for p in params}

        @functools.wraps(func)
        def wrapper(*args: Any, verbose: bool = False, quiet: bool = False, **kwargs: Any) -> Any:
            _setup(verbose, quiet)
            for key, value in kwargs.items():  # NaN, inf, 2**70, '-' as a folder: usage errors
                for v in value if isinstance(value, list | tuple) else (value,):
                    if (problem := option_problem(v, wrapper.__annotations__[key])) is not None:
                        raise typer.BadParameter(problem, param_hint=f"'{flags[key]}'")
            kwargs = {key: shell_path(value) for key, value in kwargs.items()}  # './~' stays a literal '~'
            # under torchrun rank zero alone writes; errors name flags (--lookback), not Python names; a
            # model folder read twice gives the same files (bundle_pins)
            with _boundary(), rank_zero_outputs(), flags_named(), pinned_bundles():
                refuse_closed_stdout_for(params, kwargs, is_quiet(), quiet_with)  # -q -o FILE: no stdout
                return func(*args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__  # typer must see the new signature, not the wrapped one
        app.command(name)(wrapper)
        return func

    return deco


def _setup(verbose: bool, quiet: bool) -> None:
    """Logging of the ``carrousel`` loggers (and of Python warnings) on stderr, per the two flags."""
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet exclude each other; give one")
    quiet = quiet or launch_rank() > 0  # torchrun's other ranks: errors only
    _STATE.update(verbose=verbose, quiet=quiet)
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    handler = OneLineHandler(console=stderr, show_path=False, show_time=False, rich_tracebacks=False)
    for logger_name in ("carrousel", "py.warnings"):
        log = logging.getLogger(logger_name)
        log.handlers[:] = [handler]
        log.setLevel(level)
        log.propagate = False
    route_third_party(stderr, logging.WARNING if verbose else logging.ERROR)
    logging.captureWarnings(True)
    if not verbose:  # third-party warnings are for bug reports, not for every run
        logging.getLogger("py.warnings").setLevel(logging.ERROR)
        warnings.simplefilter("ignore")


def is_quiet() -> bool:
    """True under ``--quiet`` (no progress bars)."""
    return _STATE["quiet"]


def bars_on() -> bool:
    """Whether to draw progress bars: not under ``--quiet`` and :data:`stderr` a terminal.

    The one rule of every domain CLI, for its own bars and for the flag it hands a pipeline (the trainer's
    ``progress``). "A terminal" is rich's :attr:`~rich.console.Console.is_terminal` of :data:`stderr`: a
    tty, or what ``TTY_COMPATIBLE``/``FORCE_COLOR`` say; never Jupyter or IDLE.
    """
    return not _STATE["quiet"] and stderr.is_terminal


def error_line(exc: BaseException) -> str:
    """The one line shown for ``exc``: its message, or what failed and what to do for foreign errors."""
    if isinstance(exc, CarrouselError):
        text = str(exc)
    elif out_of_memory(exc):
        text = "out of memory; use a smaller input, batch size or model"
    elif isinstance(exc, UnicodeError):
        text = f"input is not valid text ({exc.__class__.__name__}: {exc}); check the file's encoding"
    elif isinstance(exc, OSError):  # too many open files names the limit (see carrousel.core.cli_errors)
        text = os_error_text(exc)
    else:
        fix = (
            "report it with the traceback above"  # under --verbose it asked to rerun with --verbose
            if _STATE["verbose"]
            else "rerun with --verbose for the traceback and report it"
        )
        text = f"internal error ({exc.__class__.__name__}: {exc}); {fix}"
    return " ".join(text.split()) or exc.__class__.__name__


def _fail(exc: BaseException) -> typer.Exit:
    if _STATE["verbose"]:
        traceback.print_exception(exc, file=sys.stderr)
    if show_error(line := error_line(exc)):  # under torchrun: one rank's line, not every rank's
        stderr.print(f"[red]error:[/red] {escape(line)}", highlight=False)
    return typer.Exit(EXIT_ERROR)


@contextmanager
def _boundary() -> Iterator[None]:
    try:
        yield
    except (typer.Exit, typer.TyperException, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError as exc:  # stdout's reader left (click would exit 1): quiet, exit 0
        if not stdout_gone():
            raise _fail(exc) from None
        with suppress(OSError):  # no second error when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        raise typer.Exit(EXIT_OK) from None
    except Exception as exc:  # the boundary: every other failure is one line, exit 1
        if interrupted():  # C code (NumPy, matplotlib) can turn a Ctrl-C into another error
            raise KeyboardInterrupt from None
        raise _fail(exc) from None


def run(app: typer.Typer, prog: str) -> None:
    """Console entry point: runs ``app`` and maps every outcome to the exit codes of the conventions.

    Usage errors print one ``error:`` line and exit 2; Ctrl-C and SIGTERM print ``interrupted`` and exit
    130 (temporary files are removed on the way out); a closed stdout pipe ends quietly. A signal after
    the command has finished leaves its exit code (0 for a complete result) and prints nothing.
    """
    args, previous = sys.argv[1:], catch_signals()
    prepare_streams()  # a closed stdout, stderr or stdin; an ASCII locale (see carrousel.core.cli_streams)
    refuse_closed_stdout(previous, args)  # stdout closed at start: refused before the command's work
    try:
        try:
            connect()  # under torchrun: the ranks' store, before a peer's failure can stop this one
            code = app(args=args, prog_name=prog, standalone_mode=False)
        finally:  # the outcome is decided: a signal from here on leaves it (see carrousel.core.cli_start)
            settle()
    except typer.TyperException as exc:  # click's exceptions, vendored by typer
        kinds = {c.__name__ for c in type(exc).__mro__}
        if "NoArgsIsHelpError" in kinds:
            with suppress(SystemExit):
                app(args=[*args, "--help"], prog_name=prog)  # prints the help
            code = EXIT_OK
        else:
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else prog
            message = " ".join(exc.format_message().replace("Value error, ", "").split()).rstrip(".")
            hint = f"; see '{where} --help'" if "UsageError" in kinds else ""
            stderr.print(f"[red]error:[/red] {escape(message)}{hint}", highlight=False)
            code = EXIT_USAGE if "UsageError" in kinds else EXIT_ERROR
    except typer.Exit as exc:
        code = exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        code = EXIT_OK
    if code == EXIT_INTERRUPTED and peer_failed():  # torchrun stops the others when one fails
        code = EXIT_ERROR  # its error is the one line shown
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C in a command into 130
        say_interrupted()  # once under torchrun: rank zero's line
    with suppress(BrokenPipeError, ValueError, OSError):
        sys.stdout.flush()
    if code == EXIT_OK:
        leave_group()
    settle(previous)  # the handlers of before, unless a failing torchrun rank now ignores SIGTERM
    raise SystemExit(code if isinstance(code, int) else EXIT_OK)


def emit_json(obj: Any) -> None:
    """Prints ``obj`` as strict, indented JSON on stdout (see :func:`to_jsonable`)."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False)
    with writing_stdout():
        typer.echo(text)


def echo(text: str, nl: bool = True) -> None:
    """Plain text on stdout (no markup, no wrapping)."""
    with writing_stdout():
        typer.echo(text, nl=nl)


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
    """A progress bar on stderr; yields ``advance(n)``. Silent under ``--quiet`` or when not a terminal."""
    if not bars_on():
        yield lambda n: None
        return
    columns = [TextColumn(f"[bold]{escape(description)}"), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeRemainingColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def print_deployment(doc: Mapping[str, Any], *more: str) -> None:
    """Prints a deployment report (:meth:`carrousel.core.export.DeploymentReport.summary`) as a table, with
    the columns and rows of :func:`carrousel.core.export.report.deployment_table`, then the lines ``more``
    (a domain's further figures). Nothing under ``-q``: the export folder's ``report.json`` holds it all
    (:func:`carrousel.core.export.export_measured`; :func:`carrousel.core.cli_outputs.summary_hidden`)."""
    if is_quiet():
        return
    from rich.table import Table

    from carrousel.core.export.report import deployment_table

    title, columns, rows, notes = deployment_table(doc)
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, no_wrap=i == 0)  # the figure's name on one line, the numbers wrap
    for row in rows:
        table.add_row(*row)
    stdout.print(table)
    for line in [*notes, *more]:
        stdout.print(line, highlight=False)
