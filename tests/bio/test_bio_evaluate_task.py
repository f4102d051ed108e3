"""``bio evaluate`` scores the output matching the positives' motif (never a max over factors unless
asked), says which and why, and reports every output's AUROC and AUPRC; on real Oct4 vs Mafk peaks
(300 of each) with the shipped panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.data import sequences_to_windows
from carrousel.bio.errors import EvaluateConfigError
from carrousel.bio.evaluate import choose_task, evaluate_windows
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pipeline import load_model

MAF_FAMILY = {"MA0496.4", "MA0150.3"}  # MAFK, Nfe2l2 (NFE2 binds MAF half sites)


@pytest.fixture(scope="module")
def panel():  # type: ignore[no-untyped-def]
    return load_model(None)


@pytest.fixture(scope="module")
def peaks(oct4_fa: Path, mafk_fa: Path) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    _, oct4 = sequences_to_windows(oct4_fa, 200)
    _, mafk = sequences_to_windows(mafk_fa, 200)
    pick = lambda x: x[rng.choice(x.shape[0], 300, replace=False)]  # noqa: E731
    return pick(oct4), pick(mafk)


def test_default_scores_the_positives_motif_output(panel, peaks) -> None:
    oct4, mafk = peaks
    res = evaluate_windows(panel, oct4, mafk, panel.motifs)
    assert res.task == "MA0142.1" and "best separates" in res.task_reason  # Pou5f1::Sox2, chosen by its PWM
    assert len(res.per_output) == len(panel.motifs) == 24
    chosen = next(o for o in res.per_output if o["motif_id"] == "MA0142.1")
    assert res.model_auroc == chosen["auroc"] and res.model_auprc == chosen["auprc"]
    assert res.model_auroc > 0.65  # 0.729 on all 3,897 vs 3,900 peaks (its PWM: 0.839)
    assert all(0.0 <= o["auroc"] <= 1.0 and 0.0 <= o["auprc"] <= 1.0 for o in res.per_output)
    back = evaluate_windows(panel, mafk, oct4, panel.motifs)
    assert back.task in MAF_FAMILY and back.model_auroc > 0.8
    by_id = {o["motif_id"]: o["auroc"] for o in back.per_output}
    assert by_id["MA0496.4"] > by_id["MA0142.1"]  # the Oct4 output ranks Mafk peaks low


def test_motif_names_the_output_and_max_only_on_request(panel, peaks) -> None:
    oct4, mafk = peaks
    res = evaluate_windows(panel, mafk, oct4, resolve_motifs(["MAFK"]), requested=resolve_motifs(["MAFK"]))
    assert res.task == "MA0496.4" and res.task_reason.startswith("motifs='MA0496.4' is the model output")
    assert res.best_pwm == "MAFK_MA0496.4"
    res = evaluate_windows(panel, oct4, mafk, [], task="max")
    assert res.task == "max" and "maximum" in res.task_reason and len(res.per_output) == 24
    assert res.model_auroc < 0.5  # the max mixes factors: other outputs fire on the Mafk peaks
    with pytest.raises(EvaluateConfigError, match="not an output"):
        evaluate_windows(panel, oct4, mafk, [], task="NOPE")


def test_choice_rules_without_scoring(panel) -> None:
    calls: list[str] = []

    def pwm_auroc(m) -> float:  # type: ignore[no-untyped-def]
        calls.append(m.id)
        return {"MA0139.2": 0.9, "MA0138.3": 0.7}.get(m.id, 0.5)

    col, why = choose_task(panel, None, [], pwm_auroc)
    assert (
        panel.motifs[col].id == "MA0139.2"
        and "PWM AUROC 0.9000" in why
        and "next REST_MA0138.3 0.7000" in why
    )
    assert len(calls) == 24
    col, why = choose_task(panel, None, resolve_motifs(["MA0138.3", "MA0139.2"]), pwm_auroc)
    assert panel.motifs[col].id == "MA0139.2" and why.startswith("of the motifs outputs")
    col, why = choose_task(panel, None, resolve_motifs(["Pou5f1::Sox2"]), pwm_auroc)
    assert panel.motifs[col].id == "MA0142.1" and "motifs='MA0142.1'" in why
    assert choose_task(panel, "3", [], pwm_auroc)[0] == 3
    assert choose_task(panel, "CTCF", [], pwm_auroc)[0] == 0
    assert choose_task(panel, "max", [], pwm_auroc)[0] is None
    with pytest.raises(EvaluateConfigError, match="not an output") as err:  # before: all 24 IDs in one line
        choose_task(panel, "NOPE", [], pwm_auroc)
    assert f"{panel.motifs[9].id} and 14 more); give an ID" in str(err.value)


def test_cli_json_lists_every_output(peak_pair) -> None:  # type: ignore[no-untyped-def]
    p, n = peak_pair(150)
    res = CliRunner().invoke(app, ["evaluate", "--positives", str(p), "--negatives", str(n), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "MA0142.1" and "PWM AUROC" in doc["task_reason"]
    assert [o["motif_id"] for o in doc["per_output"]][:2] == ["MA0139.2", "MA0138.3"]
    assert len(doc["per_output"]) == 24 and all(o["auroc"] is not None for o in doc["per_output"])
    res = CliRunner().invoke(app, ["evaluate", "--positives", str(p), "--negatives", str(n)])
    assert res.exit_code == 0 and "model output Pou5f1::Sox2 MA0142.1" in res.stdout  # NAME ID, as PWMs


def test_cli_precision_bf16_scores_as_fp32(peak_pair) -> None:  # type: ignore[no-untyped-def]
    """``bio evaluate --precision bf16`` (core's autocast of the panel): the same output chosen, its AUROC
    within 0.01 of fp32's on 150 Oct4 vs 150 Mafk peaks; fp16 on the CPU and an unknown name refused."""
    p, n = peak_pair(150)
    args = ["evaluate", "--positives", str(p), "--negatives", str(n), "--json", "--precision"]
    docs = {}
    for precision in ("fp32", "bf16"):
        res = CliRunner().invoke(app, [*args, precision])
        assert res.exit_code == 0, res.output
        docs[precision] = json.loads(res.stdout)
    full, half = docs["fp32"], docs["bf16"]
    assert half["task"] == full["task"] == "MA0142.1"
    assert abs(half["model"]["auroc"] - full["model"]["auroc"]) < 0.01, (half["model"], full["model"])
    if not torch.cuda.is_available():
        res = CliRunner().invoke(app, [*args, "fp16"])
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert res.exit_code == 1 and len(lines) == 1 and "use --precision bf16" in lines[0], res.output
    res = CliRunner().invoke(app, [*args, "int4"])
    assert res.exit_code == 2 and "'int4' is not one of 'fp32', 'bf16', 'fp16'" in res.output


def test_classes_of_different_lengths_are_refused(
    oct4_fa: Path, mafk_fa: Path, tmp_path: Path, write_fasta
) -> None:
    """Short positives (30-bp cores of real Oct4 peaks) against whole 200-bp Mafk peaks: the N padding alone
    would separate them, so ``bio evaluate`` refuses with one line naming both lengths and the fix (it
    printed a model AUROC of 0.97 for 26-bp CRP sites against 200-bp windows); equal lengths still run."""
    from carrousel.bio.fasta import read_sequences

    _, pos = read_sequences(oct4_fa)
    _, neg = read_sequences(mafk_fa)
    short = write_fasta(tmp_path / "p.fa", {f"p{i}": s[85:115] for i, s in enumerate(pos[:40])})
    whole = write_fasta(tmp_path / "n.fa", {f"n{i}": s for i, s in enumerate(neg[:40])})
    cut = write_fasta(tmp_path / "n30.fa", {f"n{i}": s[85:115] for i, s in enumerate(neg[:40])})
    for extra in ([], ["--pwm-only", "-m", "MAFK"]):
        res = CliRunner().invoke(
            app, ["evaluate", "--positives", str(short), "--negatives", str(whole), *extra]
        )
        assert res.exit_code == 1, res.output
        line = res.stderr.strip()
        assert line.startswith("error: the positives hold 30 bases of the 200-base window (median)"), line
        assert "negatives 200" in line and "same length" in line and "\n" not in line
        assert "Traceback" not in res.output
    res = CliRunner().invoke(app, ["evaluate", "--positives", str(short), "--negatives", str(cut), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["positives"] == 40


def test_a_motif_named_by_its_id_is_labelled_once(peaks: tuple[np.ndarray, np.ndarray]) -> None:
    """A model trained on peaks names its output after a filter (``task0_filter6``, name = ID): the best
    PWM read ``task0_filter6_task0_filter6``; a JASPAR motif keeps ``NAME_ID``."""
    from carrousel.bio.motifs import Motif

    oct4, mafk = peaks
    ctcf = resolve_motifs(["CTCF"])[0]
    learned = Motif(id="task0_filter6", name="task0_filter6", counts=np.asarray(ctcf.counts))
    assert evaluate_windows(None, oct4, mafk, [learned]).best_pwm == "task0_filter6"
    assert evaluate_windows(None, oct4, mafk, [ctcf]).best_pwm == "CTCF_MA0139.2"
