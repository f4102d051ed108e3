"""The ``bio`` CLI follows the carrousel conventions: -h and -q/-v on every command, choices as enums
(a wrong one is a usage error, exit 2), results on stdout (train and discover too), --config TOML with
flags on top, and a failed ``bio train -o DIR`` / ``bio discover -o DIR`` leaves no folder behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carrousel.bio.pipeline as pipeline
import carrousel.core.bundle as core_bundle
from carrousel.bio.cli import app

runner = CliRunner()
SITE = "CCGCGTGGTGGCGC"


@pytest.fixture
def pos_neg(tmp_path: Path, write_fasta, lcg_dna) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """60 windows of 60 bp with a planted site, 60 without (no sample needed)."""
    pos, neg = {}, {}
    for i in range(60):
        w = lcg_dna(60, 2 * i + 1)
        neg[f"n{i}"] = lcg_dna(60, 2 * i + 2)
        p = 5 + i % 40
        pos[f"p{i}"] = w[:p] + SITE + w[p + len(SITE) :]
    return write_fasta(tmp_path / "pos.fa", pos), write_fasta(tmp_path / "neg.fa", neg)


def _train_args(pos: Path, neg: Path, out: Path) -> list[str]:
    sizes = ["--window", "60", "--epochs", "1", "--filters", "4", "--kernel", "9", "--hidden", "4"]
    return ["train", "--positives", str(pos), "--negatives", str(neg), *sizes, "-o", str(out)]


@pytest.mark.parametrize("command", ["scan", "train", "evaluate", "enrich", "discover", "export"])
def test_help_and_quiet_verbose_on_every_command(command: str) -> None:
    res = runner.invoke(app, [command, "-h"])
    assert res.exit_code == 0, res.output
    assert "-q, --quiet" in res.stdout and "-v, --verbose" in res.stdout and "--config" in res.stdout


def test_choices_are_enums_and_bad_ones_are_usage_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["discover", "--model", str(tmp_path), "--report", "pdf"])
    assert res.exit_code == 2 and "'pdf' is not one of 'md', 'html'" in res.stderr
    res = runner.invoke(app, ["scan", "g.fa", "--format", "bam"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["train", "-o", str(tmp_path / "m"), "--device", "tpu"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["discover"])  # neither SEQUENCES nor --model
    assert res.exit_code == 2 and "give a model" in res.stderr
    res = runner.invoke(app, ["scan", "g.fa", "-q", "-v"])
    assert res.exit_code == 2


def test_config_file_with_flags_on_top(tmp_path: Path, write_fasta, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    site = "TGGCCACCAGGGGGCGCTA"
    fa = write_fasta(tmp_path / "g.fa", {"chr1": lcg_dna(400, 3) + site + lcg_dna(400, 4)})
    toml = tmp_path / "run.toml"
    toml.write_text('method = "pwm"\nmotifs = ["MA0139.2"]\npvalue = 1e-10\nbackground = "uniform"\n')
    res = runner.invoke(app, ["scan", str(fa), "--config", str(toml), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hits"] == 0  # the file's p-value: nothing that strong
    res = runner.invoke(app, ["scan", str(fa), "--config", str(toml), "--pvalue", "1e-5", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["hits"] >= 1 and summary["background"] == [0.25] * 4  # flag on top, rest from the file
    toml.write_text("pvalue = 2.0\n")
    res = runner.invoke(app, ["scan", str(fa), "--config", str(toml)])
    assert res.exit_code == 1 and "pvalue threshold must be in (0, 1]" in res.stderr


def test_train_evaluate_discover_results_on_stdout(tmp_path: Path, pos_neg) -> None:
    pos, neg = pos_neg
    out = tmp_path / "model"
    res = runner.invoke(app, _train_args(pos, neg, out))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("trained 1 task(s) on 120 windows, 1 epochs: held-out AUROC ")
    assert " AUPRC " in res.stdout and str(out) in res.stdout
    assert "trained" not in res.stderr
    res = runner.invoke(
        app, ["evaluate", "--model", str(out), "--positives", str(pos), "--negatives", str(neg)]
    )
    assert res.exit_code == 0, res.output
    assert "AUROC" in res.stdout and "best PWM" in res.stdout
    disc = tmp_path / "disc"
    res = runner.invoke(
        app, ["discover", str(pos), "--model", str(out), "-o", str(disc), "--jaspar", "CTCF,SP1"]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().endswith(str(disc / "report.md")) and "motifs ->" in res.stdout
    found = int(res.stdout.split(" motifs ->")[0].split()[-1])
    assert (f"(top 10 of {found})" if found > 10 else f"(all {found})") in res.stdout  # never "top 10 of 8"
    assert "motifs ->" not in res.stderr
    res = runner.invoke(app, ["discover", str(pos), "--model", str(out), "-o", str(disc), "--report", "html"])
    assert res.exit_code == 0, res.output
    assert (disc / "report.html").is_file() and not (disc / "report.md").exists()  # replaced as a whole
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    res = runner.invoke(app, ["discover", str(pos), "--model", str(out), "-o", str(other), "--json"])
    assert res.exit_code == 1 and "no motifs.meme" in res.stderr  # never replaces other folders
    assert (other / "notes.txt").read_text() == "keep me"
    res = runner.invoke(app, ["discover", str(pos), "--model", str(out), "-o", str(tmp_path)])
    assert res.exit_code == 1 and "lies inside --out" in res.stderr and out.is_dir()


def test_failed_train_leaves_no_folder(tmp_path: Path, pos_neg, monkeypatch) -> None:
    pos, neg = pos_neg
    out = tmp_path / "model"
    calls = {"n": 0}
    real_write = core_bundle._write

    def disk_full_on_second_file(path: Path, blob: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device", str(path))
        real_write(path, blob)

    monkeypatch.setattr(core_bundle, "_write", disk_full_on_second_file)
    res = runner.invoke(app, _train_args(pos, neg, out))
    assert res.exit_code == 1 and calls["n"] == 2, res.output
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".model")]
    monkeypatch.undo()

    def boom(*args, **kwargs):
        raise RuntimeError("training diverged")

    monkeypatch.setattr(pipeline, "fit_model", boom)
    res = runner.invoke(app, _train_args(pos, neg, out))
    assert res.exit_code == 1 and "training diverged" in res.stderr and not out.exists()
    res = runner.invoke(app, ["discover", str(pos), "-o", str(tmp_path / "disc"), "--jaspar", "CTCF"])
    assert res.exit_code == 1 and not (tmp_path / "disc").exists()  # its training step failed: nothing left


def test_train_refuses_a_folder_that_is_not_a_model_before_training(tmp_path: Path, pos_neg) -> None:
    pos, neg = pos_neg
    (tmp_path / "notes.txt").write_text("keep me")
    res = runner.invoke(app, _train_args(pos, neg, tmp_path))
    assert res.exit_code == 1 and "holds files but no bundle.json" in res.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_missing_extras_are_one_line_naming_the_extra(tmp_path: Path, pos_neg, monkeypatch) -> None:
    import sys

    pos, _ = pos_neg
    monkeypatch.setitem(sys.modules, "logomaker", None)  # not installed
    res = runner.invoke(app, ["discover", str(pos), "-o", str(tmp_path / "disc"), "--jaspar", "CTCF"])
    assert res.exit_code == 1 and "pip install 'carrousel-bio[discover]'" in res.stderr
    assert not (tmp_path / "disc").exists()  # stopped before training
    monkeypatch.setitem(sys.modules, "pyjaspar", None)  # a database opened before does not hide it
    res = runner.invoke(app, ["scan", str(pos), "-m", "CTCF"])
    assert res.exit_code == 1 and "pip install 'carrousel-bio[jaspar]'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
