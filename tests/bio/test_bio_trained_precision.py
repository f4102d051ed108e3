"""``bio evaluate`` and ``bio scan --method model`` say in ``--json`` how the model they load was trained
(``trained_precision``: its provenance's record, read by :mod:`carrousel.core.provenance`; fp32 for a model
saved before the record) beside the run's arithmetic (``precision``; an exported model's: its ONNX file's),
and in their text summary; a PWM-only run, which runs no network, reports neither. Before: neither key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app

runner = CliRunner()
SITE = "CCGCGTGGTGGCGC"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory, lcg_dna: Any) -> dict[str, Path]:
    """test_bio_export's tiny model (60 planted-site windows vs 60, one epoch) trained in fp32 and in bf16,
    and a genome holding the site twice."""
    root = tmp_path_factory.mktemp("bioprec")
    pos = "".join(
        f">p{i}\n{lcg_dna(60, 2 * i + 1)[: 5 + i % 40]}{SITE}{lcg_dna(60, 2 * i + 1)[5 + i % 40 + len(SITE) :]}\n"
        for i in range(60)
    )
    (root / "pos.fa").write_text(pos)
    (root / "neg.fa").write_text("".join(f">n{i}\n{lcg_dna(60, 2 * i + 2)}\n" for i in range(60)))
    (root / "g.fa").write_text(
        ">chr1\n" + lcg_dna(500, 7) + SITE + lcg_dna(500, 8) + SITE + lcg_dna(300, 9) + "\n"
    )
    sets = ["--positives", str(root / "pos.fa"), "--negatives", str(root / "neg.fa")]
    sizes = ["--window", "60", "--epochs", "1", "--filters", "4", "--kernel", "9", "--hidden", "4"]
    for precision in ("fp32", "bf16"):
        res = runner.invoke(
            app, ["train", *sets, *sizes, "--precision", precision, "-o", str(root / precision)]
        )
        assert res.exit_code == 0, res.output
    return {"fp32": root / "fp32", "bf16": root / "bf16", "pos": root / "pos.fa", "neg": root / "neg.fa"} | {
        "genome": root / "g.fa"
    }


def _evaluate(files: dict[str, Path], model: Path, *extra: str) -> Any:
    sets = ["--positives", str(files["pos"]), "--negatives", str(files["neg"])]
    return runner.invoke(app, ["evaluate", *sets, "--model", str(model), *extra])


def _scan(files: dict[str, Path], model: Path, *extra: str) -> Any:
    return runner.invoke(
        app, ["scan", str(files["genome"]), "--model", str(model), "--method", "model", *extra]
    )


COMMANDS = {"evaluate": _evaluate, "scan --method model": _scan}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("trained", ["fp32", "bf16"])
def test_a_command_that_loads_a_model_reports_how_it_was_trained(
    planted: dict[str, Path], command: str, trained: str
) -> None:
    res = COMMANDS[command](planted, planted[trained], "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert (doc["trained_precision"], doc["precision"]) == (trained, "fp32"), doc


def test_the_text_summaries_name_both_precisions(planted: dict[str, Path], tmp_path: Path) -> None:
    res = _evaluate(planted, planted["bf16"])
    assert res.exit_code == 0 and "model trained in bf16, run in fp32" in res.stdout, res.output
    res = _scan(planted, planted["bf16"], "-o", str(tmp_path / "hits.bed"))
    assert res.exit_code == 0 and "model trained in bf16, run in fp32" in res.stdout, res.output


def test_an_exported_model_reports_its_onnx_files_precision(planted: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    res = runner.invoke(app, ["export", "--model", str(planted["bf16"]), "-o", str(tmp_path / "i8")])
    assert res.exit_code == 0, res.output
    res = _scan(planted, tmp_path / "i8", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert (doc["trained_precision"], doc["precision"]) == ("bf16", "int8"), doc


def test_a_pwm_only_run_reports_no_model_precision(planted: dict[str, Path]) -> None:
    sets = ["--positives", str(planted["pos"]), "--negatives", str(planted["neg"])]  # no --model: refused
    res = runner.invoke(app, ["evaluate", *sets, "--pwm-only", "--motif", "MA0139.1", "--json"])
    assert res.exit_code == 0, res.output
    assert not {"trained_precision", "precision"} & set(json.loads(res.stdout)), res.stdout
