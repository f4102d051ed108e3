"""``cmd -q -o FILE >&-``: with ``-q`` and the results written to a file or folder the command prints
nothing, so a closed stdout is no reason to refuse it. The closed-stdout check now applies only when
something will be written to stdout (without ``-q``, with ``--json``, or with no output option given).

On main ``finance predict ... -q -o f.csv >&-`` and ``finance train-global -q --model-dir m >&-`` exited 1
with "standard output is closed" and wrote nothing."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path
from typing import Annotated

import pytest
import typer

from carrousel.core.cli_values import OutputFolder
from tests.cli_harness import assert_stdout_closed_refused, run_stdout_closed
from tests.finance.test_finance_global import ar_panel, saved_global_model, tiny_global_toml


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return saved_global_model(tmp_path_factory.mktemp("closed"), ar_panel(2, 80, seed=4))


def _finance(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_stdout_closed(["-m", "carrousel.finance", *args], cwd)[0]


def test_quiet_with_an_out_file_runs_with_stdout_closed(saved: tuple[Path, Path], tmp_path: Path) -> None:
    panel, model = saved
    base = ["predict", "--data", str(panel), "--model-dir", str(model)]
    r = _finance([*base, "-q", "-o", str(tmp_path / "f.csv")], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert len((tmp_path / "f.csv").read_text().splitlines()) == 1 + 2 * 3  # header, 2 series x 3 sessions
    # the results would print on stdout: refused, before the work (no file)
    for printing in (base, [*base, "-q"], [*base, "-q", "--json", "-o", str(tmp_path / "g.csv")],
                     [*base, "-q", "-o", "-"], [*base, "-o", str(tmp_path / "g.csv")]):  # fmt: skip
        assert_stdout_closed_refused(_finance(printing, tmp_path))
        assert not (tmp_path / "g.csv").exists()


def test_quiet_train_global_writes_its_folder_with_stdout_closed(tmp_path: Path) -> None:
    ar_panel(2, 80, seed=6).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(tiny_global_toml(hidden=4))
    args = ["train-global", "--data", "panel.csv", "--config", "run.toml", "--model-dir", "m"]
    r = _finance([*args, "-q"], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert (tmp_path / "m" / "bundle.json").is_file() and (tmp_path / "m" / "report.json").is_file()


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_with_quiet_and_a_closed_stdout_is_still_refused(tmp_path: Path, flag: str) -> None:
    assert_stdout_closed_refused(_finance(["-q", flag], tmp_path))


def test_stdout_needed_reads_the_options() -> None:
    """A command says which option holds its results (``command(..., quiet_with="out")``); one that
    names none (``bio evaluate``, which prints its report under ``-q`` too) is still refused."""
    from carrousel.core.cli_params import stdout_needed

    def cmd(
        out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
        model_dir: Annotated[Path | None, typer.Option("--model-dir"), OutputFolder()] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None: ...

    params = list(inspect.signature(cmd, eval_str=True).parameters.values())
    assert not stdout_needed(params, {"out": Path("f.csv")}, True, "out")
    assert stdout_needed(params, {"out": Path("f.csv")}, False, "out")
    assert stdout_needed(params, {"out": Path("f.csv")}, True)  # the command prints under -q all the same
    assert stdout_needed(params, {"out": Path("f.csv"), "as_json": True}, True, "out")
    assert stdout_needed(params, {"model_dir": Path("m")}, True, "out")
    assert not stdout_needed(params, {"model_dir": Path("m")}, True, "model_dir")
    assert stdout_needed(params, {"out": Path("-")}, True, "out")
