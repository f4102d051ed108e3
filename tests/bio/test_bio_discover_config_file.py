"""``bio discover --config FILE``: the model or the sequences it needs may come from the file; with
neither, one usage line before any work (checked on the flags and the file merged).
Before, the CLI checked the flags only, and skipped the check whenever a file was given: the pipeline then
said the same line, exit 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.bio.cli import app
from tests.cli_harness import assert_clean_failure, config_flags, config_of

LINE = "give a model (--model) or sequences to train on (SEQUENCES --control)"


@pytest.mark.parametrize("text", [None, "seed = 3\n", 'control = "neg.fa"\nreport = "html"\n'])
def test_neither_a_model_nor_sequences_is_a_usage_error_before_any_work(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str | None
) -> None:
    """Typed alone, or beside a file that sets neither (a TOML file cannot unset one, so the command line
    alone makes the refusal): exit 2, the line of no file, nothing written, the pipeline never called.
    Fails on main with a file: the pipeline's line, exit 1."""
    import carrousel.bio.pipeline as pipeline

    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("the pipeline ran")

    monkeypatch.setattr(pipeline, "discover", never)
    monkeypatch.chdir(tmp_path)
    conf = config_flags(text, "d.toml")
    outcome = invoke("bio", "discover", *conf, "-o", "out")
    assert_clean_failure(outcome, 2, LINE)
    assert "d.toml" not in outcome.stderr and not Path("out").exists()


@pytest.mark.parametrize(
    ("text", "flags", "field", "value"),
    [
        ('model = "m"\n', [], "model", "m"),
        ('sequences = "pos.fa"\n', [], "sequences", "pos.fa"),
        ('seed = 3\n', ["--model", "m"], "model", "m"),
        ('model = "m"\n', ["--jaspar", "CTCF"], "model", "m"),
    ],
)  # fmt: skip
def test_the_model_or_sequences_from_the_file_or_the_flags_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], field: str, value: str
) -> None:
    """The other side: the file's model or sequences (or a typed one beside a file) reach the run."""
    conf = tmp_path / "d.toml"
    conf.write_text(text)
    argv = ("discover", "--config", str(conf), "-o", str(tmp_path / "out"), *flags)
    cfg = config_of(monkeypatch, app, "carrousel.bio.pipeline", "discover", *argv)
    assert getattr(cfg, field) == value
