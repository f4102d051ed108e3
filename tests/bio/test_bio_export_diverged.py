"""``bio export --distill H`` and ``--prune F`` refuse a diverged training of the smaller network in core's
one line (``fit_refusing``), as ``bio train`` does: exit 1, nothing written. Their learning rate is a
constant no option sets (``carrousel.bio.distill.LR``, ``carrousel.bio.prune.LR``), so the line names the
options that do feed the trainer (``--prune``, ``--finetune-epochs``); the divergence is forced here by
raising that constant. Before: the student's ``trainer.fit`` and the pruned network's fine-tuning were
unchecked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.bio import distill, prune
from carrousel.bio.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("variant", "lower"),
    [
        (["--distill", "3"], "lower --finetune-epochs (now 2; the learning rate is fixed at 1e+30)"),
        (["--prune", "0.5"], "lower --prune (now 0.5) or --finetune-epochs (now 2; the learning rate is"),
    ],
)
def test_a_diverged_variant_is_refused_in_one_line_and_nothing_is_written(
    tmp_path: Path, toy: dict[str, Path], monkeypatch: pytest.MonkeyPatch, variant: list[str], lower: str
) -> None:
    monkeypatch.setattr(distill, "LR", 1e30)
    monkeypatch.setattr(prune, "LR", 1e30)
    out = tmp_path / "variant"
    args = ["export", "--model", str(toy["model"]), "-o", str(out), "--precision", "fp32", "-q"]
    res = runner.invoke(app, [*args, *variant, "--finetune-epochs", "2"])
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output, res.output
    assert "the training diverged: " in res.output and "; nothing is saved; " in res.output
    assert lower in res.output, res.output
    assert not out.exists()
