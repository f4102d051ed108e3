"""Every option that writes a FOLDER refuses, before any work, an existing folder of unrelated files.

The folder is written as a whole (core ``atomic_dir`` replaces it), so a folder that is not an earlier
output of the same command would lose its files. Before, ``nlp sentiment evaluate -o res`` deleted
``res/important.txt`` and wrote metrics.json and confusion.png in its place, without a word.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli_harness import Outcome, assert_clean_failure
from tests.hardening.test_output_folder_dash import CASES as DASH_CASES
from tests.hardening.test_train_out_folder import _speech, _translate


def _prices(d: Path) -> Path:
    rows = [f"A,2020-01-{i + 1:02d},{10 + i}" for i in range(28)]
    (d / "p.csv").write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    return d / "p.csv"


def _fasta(d: Path) -> list[str | Path]:
    for name in ("s", "c"):
        (d / f"{name}.fa").write_text("".join(f">{name}{i}\n{'ACGT' * 300}\n" for i in range(4)))
    return ["bio", "discover", d / "s.fa", "--control", d / "c.fa"]


def _nlp_export(task: str) -> Callable[[Path], list[str | Path]]:
    return lambda d: ["nlp", task, "export", "--model", d / "model"]  # refused before the model is read


CASES: dict[str, Callable[[Path], list[str | Path]]] = {
    **DASH_CASES,
    "nlp-translate-train": _translate,
    "nlp-translate-export": _nlp_export("translate"),
    "nlp-generate-export": _nlp_export("generate"),
    "speech-train": _speech,
    "bio-train": lambda d: ["bio", "train", "--motif", "CTCF"],  # data named: no usage error first
    "bio-discover": _fasta,
    "finance-export": lambda d: ["finance", "export", "--model-dir", d / "model"],
    "finance-forecast": lambda d: ["finance", "forecast", "AAPL", "--source", "sample"],
    "finance-backtest": lambda d: ["finance", "backtest", "AAPL", "--source", "sample"],
    "finance-train-global": lambda d: ["finance", "train-global", "--data", _prices(d)],
}
# options other than --out that write a folder
FLAG = {"finance-train-global": "--model-dir", "finance-forecast-model-dir": "--model-dir"}
CASES["finance-forecast-model-dir"] = CASES["finance-forecast"]
DEPLOYS = ("bio.deploy", "finance.deploy", "speech.deploy", "nlp.pipeline.deploy")
DEPLOYS += ("nlp.pipeline.generate_deploy", "nlp.pipeline.translate_deploy")


def _record_work(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Training, synthesis, scoring and exporting append to the list returned (and still run)."""
    import importlib

    import carrousel.speech.synth as synth
    from carrousel.core.train import Trainer
    from carrousel.nlp.pipeline.sentiment import SentimentModel

    work: list[Any] = []

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *a, **k: work.append(name) or real(*a, **k)

    monkeypatch.setattr(Trainer, "fit", lambda *a, **k: work.append("fit"))
    monkeypatch.setattr(synth, "synthesize", lambda *a, **k: work.append("synthesize"))
    monkeypatch.setattr(SentimentModel, "predict_proba", spy("predict", SentimentModel.predict_proba))
    for name in DEPLOYS:
        module = importlib.import_module(f"carrousel.{name}")
        monkeypatch.setattr(module, "export_measured", spy("export", module.export_measured))
    return work


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_folder_of_other_files_is_refused_and_kept(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    work = _record_work(monkeypatch)
    prog, *args = CASES[case](tmp_path)
    out = tmp_path / "res"
    out.mkdir()
    (out / "important.txt").write_text("keep")
    monkeypatch.chdir(tmp_path)
    outcome = invoke(prog, *args, FLAG.get(case, "--out"), out)
    assert_clean_failure(outcome, 1, "new or empty folder")
    assert str(out) in outcome.stderr
    assert work == [], f"work was done before the refusal: {work}"
    assert [p.name for p in out.iterdir()] == ["important.txt"]
    assert (out / "important.txt").read_text() == "keep"


def test_an_earlier_evaluation_folder_is_replaced(invoke: Callable[..., Outcome], tmp_path: Path) -> None:
    """Re-running into the command's own earlier output stays normal: the folder is replaced."""
    out = tmp_path / "res"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    (out / "stale.png").write_text("old")
    prog, *args = CASES["nlp-sentiment-evaluate"](tmp_path)
    outcome = invoke(prog, *args, "--out", out)
    assert outcome.code == 0, outcome.stderr
    assert sorted(p.name for p in out.iterdir()) == ["confusion.png", "metrics.json"]
    assert '"accuracy"' in (out / "metrics.json").read_text()


class _StartedError(Exception):
    """Raised where synthesis would begin: the folder check let the run through."""


def _start(*_: Any) -> Any:
    raise _StartedError


def test_an_earlier_corpus_folder_is_not_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import carrousel.speech.synth as synth
    from carrousel.speech.config import SynthConfig

    out = tmp_path / "corpus"
    out.mkdir()
    (out / "manifest.tsv").write_text("path\ttranscript\n")
    monkeypatch.setattr(synth, "_available", _start)
    with pytest.raises(_StartedError):
        synth.synth_corpus(SynthConfig(out=str(out), utterances=1))
