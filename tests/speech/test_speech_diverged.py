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
