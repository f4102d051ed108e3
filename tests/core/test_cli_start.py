"""Ctrl-C and SIGTERM at every moment of a CLI's life (:mod:`carrousel.core.cli_start`): during the heavy
imports of start-up, after the command's work, during the interpreter's shutdown, and under torchrun.

Each case is a real process. The moments are made deterministic, never timed: an import hook that says
``ready`` and then blocks holds start-up inside the CLI module's import; a stdout whose last flush or an
``atexit`` function sends the signal puts it after the work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [str(p) for p in sorted((ROOT / "packages").glob("*/src"))]
SIGNALS = [signal.SIGINT, signal.SIGTERM]

# blocks launch()'s import of the module named by argv[1] (after saying "ready"); argv[2]: how to start
# (a module whose main() to call; "-m": python -m argv[1]; "-m NAME": python -m NAME)
_HOLD = textwrap.dedent("""
    import runpy, sys, time
    target, how = sys.argv[1], sys.argv[2]
    class Hold:
        def find_spec(self, name, path=None, target_module=None):
            if name == target and "carrousel.core.cli_start" in sys.modules:  # launch()'s import
                print("ready", flush=True)
                time.sleep(30)
    sys.meta_path.insert(0, Hold())
    sys.argv[1:] = ["--version"]
    if how.startswith("-m"):
        runpy.run_module(how[2:].strip() or target, run_name="__main__", alter_sys=True)
    else:
        __import__(how, fromlist=["main"]).main()
""")

# a toy CLI on the conventions of carrousel.core.cli: `late` prints its result, then a signal comes
_TOY = textwrap.dedent("""
    import atexit, os, signal, sys
    from carrousel.core import cli

    app = cli.create_app("toy", "A toy.", "toy 1")
    ARMED = []

    class Out:  # stdout whose next flush, once armed, brings a signal (run()'s last flush)
        def __init__(self, inner):
            self.inner = inner
        def __getattr__(self, name):
            return getattr(self.inner, name)
        def flush(self):
            self.inner.flush()
            if ARMED:
                os.kill(os.getpid(), ARMED.pop())

    @cli.command(app)
    def late(when: str = "flush", sig: int = 2) -> None:
        cli.echo("result")
        if when == "flush":
            sys.stdout.flush()
            sys.stdout = Out(sys.stdout)
            ARMED.append(sig)
        elif when == "exit":
            atexit.register(os.kill, os.getpid(), sig)
        else:  # during the work
            os.kill(os.getpid(), sig)

    @cli.command(app)
    def other() -> None:
        pass

    def main():
        cli.run(app, "toy")
""")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    return {
        **env,
        "PYTHONPATH": os.pathsep.join([*SOURCES, *extra.pop("path", "").split(os.pathsep)]),
        **extra,
    }


def _held_start(target: str, how: str, sig: signal.Signals, **env: str) -> tuple[int, list[str]]:
    """Starts a CLI held inside the import of ``target``, sends ``sig`` there: exit code, stderr lines."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, target, how], env=_env(**env), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert ready == "ready\n", err
    return proc.returncode, [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("prog", ["finance", "bio", "nlp", "speech"])
def test_signal_while_the_cli_imports_is_one_line_and_130(prog: str, sig: signal.Signals) -> None:
    # before: the console script imported the CLI module first, so a Ctrl-C there was a 20-line
    # KeyboardInterrupt traceback and exit -2, a SIGTERM a silent death (-15)
    code, lines = _held_start(f"carrousel.{prog}.cli", f"carrousel.{prog}.__main__", sig)
    assert (code, lines) == (130, ["interrupted"])


@pytest.mark.parametrize("prog", ["finance", "bio", "nlp", "speech"])
def test_python_m_cli_module_catches_signals_before_its_imports(prog: str) -> None:
    # every CLI is a package: held in its heavy part, which main() imports (before, nlp's: no cli/__main__.py,
    # "No module named carrousel.nlp.cli.__main__", exit 1; finance's cli.py was the heavy module itself)
    heavy = f"carrousel.{prog}.cli._app"
    code, lines = _held_start(heavy, f"-m carrousel.{prog}.cli", signal.SIGINT)
    assert (code, lines) == (130, ["interrupted"])


def test_console_scripts_enter_through_the_light_start_module() -> None:
    for prog in ("finance", "bio", "nlp", "speech"):
        text = (ROOT / "packages" / prog / "pyproject.toml").read_text()
        assert f'{prog} = "carrousel.{prog}.__main__:main"' in text


def test_a_start_up_signal_on_another_torchrun_rank_prints_nothing() -> None:
    code, lines = _held_start(
        "carrousel.nlp.cli", "carrousel.nlp.__main__", signal.SIGINT, WORLD_SIZE="2", RANK="1"
    )
    assert (code, lines) == (130, [])


def _toy(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "toy_cli.py").write_text(_TOY)
    code = "import sys; from carrousel.core.cli_start import launch; sys.argv[0] = 'toy'; launch('toy_cli')"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=_env(path=str(tmp_path), **env),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("when", ["flush", "exit"])
def test_a_signal_after_the_work_leaves_the_complete_result_and_exit_0(
    tmp_path: Path, when: str, sig: signal.Signals
) -> None:
    # before: run() had put the default handlers back, so a signal in its last flush or in the
    # interpreter's shutdown ended the process by the signal (-2 / -15) or with a traceback
    done = _toy(tmp_path, "late", "--when", when, "--sig", str(int(sig)))
    assert (done.returncode, done.stdout, done.stderr) == (0, "result\n", "")


@pytest.mark.parametrize(("rank", "lines"), [("0", ["interrupted"]), ("1", [])])
def test_an_interrupt_under_torchrun_is_reported_by_rank_zero_only(
    tmp_path: Path, rank: str, lines: list[str]
) -> None:
    # before: every rank printed its own `interrupted` line
    done = _toy(tmp_path, "late", "--when", "work", WORLD_SIZE="2", RANK=rank)
    assert (done.returncode, done.stderr.splitlines()) == (130, lines)


def test_an_interrupt_during_the_work_is_still_one_line_and_130(tmp_path: Path) -> None:
    done = _toy(tmp_path, "late", "--when", "work", "--sig", str(int(signal.SIGTERM)))
    assert (done.returncode, done.stdout, done.stderr) == (130, "result\n", "interrupted\n")


_PROBE = textwrap.dedent("""
    import signal, subprocess, sys

    def test_ctrl_c_reaches_the_suite_and_its_processes():
        assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
        code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
        assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == "False\\n"
""")


def test_a_suite_started_with_ctrl_c_ignored_still_tests_ctrl_c(tmp_path: Path) -> None:
    """Started as a background job (SIGINT ignored, and inherited), the suite's Ctrl-C tests failed every
    time: the held start-ups above waited 30 s for an interrupt that never came. tests/conftest.py puts
    Python's own handler back, so the processes the tests start get the default action again."""
    (tmp_path / "test_probe.py").write_text(_PROBE)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         str(tmp_path / "test_probe.py")],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:]
