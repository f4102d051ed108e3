"""An output that would replace what a command reads (the model folder of an export, the input file of
finance predict or bio scan) is refused before any work; a fan chart goes to ``/dev/null``, ``/dev/stdout``
or a FIFO as PNG (one chart).

Before, ``finance export --model-dir fc -o fc`` (or ``-o`` the run folder holding it) replaced the trained
model with its export, ``nlp translate export --model mt -o mt`` replaced it and then failed, and ``--plot``
refused every special file (or failed with 'not seekable' on a pipe); ``finance predict -o`` its own
``--data`` and ``bio scan -o`` its genome overwrote the input.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.core.errors import ConfigError
from carrousel.core.files import check_spares
from tests.hardening.conftest import Outcome, assert_clean_failure


def test_check_spares(tmp_path: Path) -> None:
    model = tmp_path / "run" / "model"
    model.mkdir(parents=True)
    for out in (model, tmp_path / "run", tmp_path, tmp_path / "run" / ".." / "run" / "model"):
        with pytest.raises(ConfigError, match="would replace the model it reads"):
            check_spares(out, model)
    check_spares(model / "int8", model)  # inside it: the model stays
    check_spares(tmp_path / "other", model)
    check_spares(tmp_path / "run" / "model2", model)


EXPORTS = [
    ["finance", "export", "--model-dir", "{m}", "-o", "{m}"],
    ["finance", "export", "--model-dir", "{m}", "-o", "."],
    ["nlp", "generate", "export", "--model", "{m}", "-o", "{m}/"],
    ["nlp", "translate", "export", "--model", "{m}", "-o", "{m}"],
    ["nlp", "sentiment", "export", "--model", "{m}", "-o", "{m}"],
    ["bio", "export", "--model", "{m}", "-o", "{m}"],
    ["speech", "export", "--model", "{m}", "-o", "{m}"],
]


@pytest.mark.parametrize("argv", EXPORTS, ids=lambda a: " ".join(a[:3]))
def test_an_export_over_its_own_model_is_refused_and_the_model_kept(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "bundle.json").write_text("{}")  # never read: the check comes first
    monkeypatch.chdir(tmp_path)
    outcome = invoke(*(a.format(m="model") for a in argv))
    assert_clean_failure(outcome, 1, "would replace the model it reads")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bundle.json", "model"]


def test_a_fan_chart_goes_to_special_files_as_png(tmp_path: Path) -> None:
    from carrousel.finance.errors import OutputPathError
    from carrousel.finance.runs import check_plot

    check_plot(Path("/dev/null"))
    check_plot(Path("/dev/stdout"))
    with pytest.raises(OutputPathError, match="takes one chart, not 2"):
        check_plot(Path("/dev/null"), 2)
    with pytest.raises(OutputPathError, match=r"must end in \.png"):
        check_plot(tmp_path / "fan.jpg")


def test_a_seeking_writer_reaches_a_pipe_through_dev_stdout() -> None:
    code = (
        "from carrousel.core.atomic import atomic_path\n"
        "with atomic_path('/dev/stdout') as tmp, open(tmp, 'wb') as fh:\n"
        "    fh.write(b'xxxx'); fh.seek(0); fh.write(b'PNG!')\n"  # PNG and Parquet writers seek back
    )
    from tests.hardening.test_stdout_outputs import ENV

    done = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == b"PNG!", done.stderr


def test_an_output_file_that_is_an_input_is_refused_and_the_input_kept(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("panel.csv").write_text("unique_id,ds,y\nA,2020-01-02,1.0\n")
    Path("genome.bed").write_text(">chr1\nACGTACGTACGTACGTACGT\n")  # a FASTA under a hit file's name
    Path("link.bed").symlink_to("genome.bed")
    cases = [
        ["finance", "predict", "--data", "panel.csv", "--model-dir", "m", "-o", "./panel.csv"],
        ["bio", "scan", "genome.bed", "--method", "pwm", "-m", "CTCF", "-o", "genome.bed"],
        ["bio", "scan", "genome.bed", "--method", "pwm", "-m", "CTCF", "-o", "link.bed"],
    ]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for argv in cases:  # was: the forecasts / hits written over the data they came from
        assert_clean_failure(invoke(*argv), 1, "is the input file")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
