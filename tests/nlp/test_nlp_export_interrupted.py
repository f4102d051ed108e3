"""``nlp generate / sentiment / translate export`` interrupted while they measure the new export (Ctrl-C,
SIGTERM: exit 130) leave the earlier export in ``--out`` byte for byte (before: the new folder was swapped
in first, then scored and timed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.nlp.cli import app
from carrousel.nlp.pipeline.sentiment import shipped_model_path
from tests.folder_swaps import interrupted_while_measured

pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("command", ["generate", "sentiment", "translate"])
def test_an_export_interrupted_while_measured_keeps_the_earlier_one(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    import carrousel.nlp.pipeline.deploy as sentiment
    import carrousel.nlp.pipeline.generate_deploy as generate
    import carrousel.nlp.pipeline.translate_deploy as translate

    module = {"generate": generate, "sentiment": sentiment, "translate": translate}[command]
    model = {
        "generate": lambda: request.getfixturevalue("lm_model"),
        "sentiment": shipped_model_path,
        "translate": lambda: request.getfixturevalue("toy_translator"),
    }[command]()
    out = tmp_path / "out"
    args = [command, "export", "-o", str(out), "--precision", "fp32"]
    with interrupted_while_measured(monkeypatch, module, model, out):
        res = CliRunner().invoke(app, [*args, *([] if command == "sentiment" else ["--model", str(model)])])
        assert res.exit_code == 130, res.output
