"""A domain CLI's ``--help`` (and any start that is not ``--version`` or a sample) does without
:mod:`importlib.metadata` (15-50 ms to import): before, every start imported it three ways: the app's
``--version`` string read ``__version__`` when the app was built, ``carrousel.core.samples`` imported
``entry_points`` at the top, and ``carrousel.core.provenance`` imported ``version`` at the top. Now the
version is read on ``--version``, the entry points when a sample is looked up, a package version when a
run or bundle records it. finance's start imported it through exchange_calendars (``calendar_pick`` and
``calendar`` imported it at the top; ``cli._common`` needs only ``AUTO``): now imported when a calendar is
built."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from carrousel.core import cli


@pytest.mark.parametrize("domain", ["finance", "speech", "nlp", "bio"])
def test_help_does_not_import_importlib_metadata(domain: str) -> None:
    code = (
        "import sys\n"
        f"from carrousel.{domain}.cli._app import app\n"
        "from typer.main import get_command\n"
        f"get_command(app).main(['--help'], prog_name='{domain}', standalone_mode=False)\n"
        "print('importlib.metadata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "False"


@pytest.mark.parametrize("domain", ["finance", "speech", "nlp", "bio"])
def test_version_is_still_read(domain: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", f"carrousel.{domain}", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out == f"carrousel-{domain} {version(f'carrousel-{domain}')}\n"


def test_a_version_function_is_called_only_for_version() -> None:
    from typer.testing import CliRunner

    calls: list[int] = []

    def read() -> str:
        calls.append(1)
        return "toy 2.0"

    app = cli.create_app("toy", "A toy.", read)

    @app.command()
    def hello() -> None:
        """Says hello."""

    runner = CliRunner()
    assert runner.invoke(app, ["--help"]).exit_code == 0 and calls == []
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout, calls) == (0, "toy 2.0\n", [1])
