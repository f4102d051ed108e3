"""``speech train`` refuses a diverged training in core's one line (``fit_refusing``), as every other
domain's training does: before, its pipeline called ``Trainer.fit`` itself and saved whatever weights came
out. Its ``--lr`` is capped at 1, so the divergence is made here by poisoning the fitted weights."""

from __future__ import annotations

import sys

import pytest
import torch

from carrousel.core.train.trainer import Trainer
from carrousel.speech.cli import main


def test_a_fit_that_leaves_nan_weights_is_refused_and_nothing_is_saved(
    capsys, monkeypatch, tmp_path, write_wav, tone
) -> None:
    rows = ["path\ttranscript"]
    for i in range(6):
        write_wav(f"u{i}.wav", tone(0.5, freq=120.0 + 30 * i))
        rows.append(f"u{i}.wav\t{'yes' if i % 2 else 'no'}")
    (tmp_path / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    fit = Trainer.fit

    def poisoned(self: Trainer, *args: object, **kwargs: object) -> object:
        result = fit(self, *args, **kwargs)  # type: ignore[arg-type]
        with torch.no_grad():
            next(self.model.parameters()).fill_(float("nan"))
        return result

    monkeypatch.setattr(Trainer, "fit", poisoned)
    out = tmp_path / "model"
    args = ["train", "--data", str(tmp_path / "m.tsv"), "--out", str(out), "--lr", "0.5"]
    tiny = ["--hidden", "8", "--layers", "1", "--max-steps", "1", "--workers", "0"]
    monkeypatch.setattr(sys, "argv", ["speech", *args, *tiny])
    with pytest.raises(SystemExit) as done:
        main()
    _, err = capsys.readouterr()
    assert done.value.code == 1 and len(err.strip().splitlines()) == 1, err
    assert "the training diverged: the network's weights hold NaN" in err and "lower --lr (now 0.5)" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("variant", "lower"),
    [
        (["--distill", "8"], "lower --finetune-epochs (now 1; the learning rate is fixed at 1e+30)"),
        (["--prune", "0.5"], "lower --prune (now 0.5) or --finetune-epochs (now 1; the learning rate is"),
    ],
)
def test_a_diverged_export_variant_is_refused_and_nothing_is_written(
    tiny, tmp_path, monkeypatch, variant: list[str], lower: str
) -> None:
    """``speech export --distill H`` / ``--prune F`` train at a fixed rate (``carrousel.speech.prune.LR``,
    raised here to force the divergence): the line names the options that feed the trainer. Before: the
    student's ``trainer.fit`` and the pruned network's fine-tuning were unchecked."""
    from typer.testing import CliRunner

    from carrousel.speech import prune
    from carrousel.speech.cli import app

    monkeypatch.setattr(prune, "LR", 1e30)
    out = tmp_path / "variant"
    args = ["export", "--model", str(tiny), "-o", str(out), "--precision", "fp32", "--finetune-epochs", "1"]
    res = CliRunner().invoke(app, [*args, *variant, "-q"])
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output, res.output
    assert "the training diverged: " in res.output and "; nothing is saved; " in res.output, res.output
    assert lower in res.output, res.output
    assert not out.exists()
