"""A chart option beside a command's other outputs (``check_plot_option(others=...)``) and charts a command
writes unasked (``can_draw``). Before, ``--plot x.png -o x.png`` let one output overwrite the other (bio
scan's hits, bio enrich's table replaced by the PNG), and a run folder's charts failed the run once its
work was done when matplotlib was missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer

from carrousel.core.cli_outputs import check_plot_option
from carrousel.core.plots import can_draw

EXTRA, PURPOSE = "carrousel-core[plot]", "the chart (test --plot)"


def test_a_chart_on_another_outputs_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for other in (Path("x.png"), tmp_path / "x.png", Path("./sub/../x.png")):
        with pytest.raises(
            typer.BadParameter, match=r"it is also --out's path .*give the chart its own file"
        ):
            check_plot_option(Path("x.png"), False, EXTRA, PURPOSE, others={"--out": other})
    (tmp_path / "link.png").symlink_to(tmp_path / "x.png")
    with pytest.raises(typer.BadParameter, match="--model-dir"):
        check_plot_option(
            Path("link.png"), False, EXTRA, PURPOSE, others={"--out": None, "--model-dir": Path("x.png")}
        )


def test_a_chart_inside_a_folder_written_whole_is_a_usage_error(tmp_path: Path) -> None:
    folders = {"--model-dir": tmp_path / "m"}
    with pytest.raises(typer.BadParameter, match=r"it lies in --model-dir .*m, a folder written as a whole"):
        check_plot_option(tmp_path / "m" / "sub" / "fan.png", False, EXTRA, PURPOSE, folders=folders)
    assert not check_plot_option(tmp_path / "m.png", False, EXTRA, PURPOSE, folders=folders)  # beside it


def test_other_paths_and_special_files_pass(tmp_path: Path) -> None:
    assert not check_plot_option(
        tmp_path / "a.png", False, EXTRA, PURPOSE, others={"--out": tmp_path / "a.bed"}
    )
    assert not check_plot_option(
        Path("/dev/null"), False, EXTRA, PURPOSE, others={"--out": Path("/dev/null")}
    )


def test_can_draw_says_whether_matplotlib_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    assert can_draw()
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it now fails as if not installed
    assert not can_draw()


def test_plots_written_is_the_json_key_of_every_chart_option() -> None:
    """Every command with --plot gives its --json document ``"plots"`` through this one helper: the paths
    written, as text, [] where no chart was asked for."""
    from carrousel.core.cli_outputs import plots_written

    assert plots_written(None) == [] and plots_written() == []
    assert plots_written(Path("out") / "a.png", None, "b.png") == [str(Path("out") / "a.png"), "b.png"]
