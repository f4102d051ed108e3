"""``bio export --config FILE``: the checks across options (``--distill-filters`` needs ``--distill``, the
training windows need ``--prune`` or ``--distill``, ``--finetune-epochs`` needs one of them) read the file's
settings and the flags merged, the flags winning (core's ``cli.refuse_merged``). Before, they read the
flags alone, before the file was merged in: ``--config c.toml --distill-filters 4`` was refused (exit 2)
although ``c.toml`` sets ``distill = 8``, and a file setting ``finetune_epochs`` alone was ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.bio.cli import app
from tests.cli_harness import assert_clean_failure, config_flags, config_of


def _export_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, *flags: str) -> Any:
    """The config ``bio export --config F *flags`` (F holding ``text``) hands to the pipeline (nothing runs)."""
    conf = tmp_path / "c.toml"
    conf.write_text(text)
    argv = ("export", "-o", str(tmp_path / "out"), "--config", str(conf), *flags)
    return config_of(monkeypatch, app, "carrousel.bio.pipeline", "export_model", *argv)


@pytest.mark.parametrize(
    ("text", "flags", "want"),
    [
        ("distill = 8\n", ["--distill-filters", "4"], {"distill": 8, "distill_filters": 4}),
        ("prune = 0.3\n", ["--finetune-epochs", "2"], {"prune": 0.3, "finetune_epochs": 2}),
        ("distill = 8\n", ["--finetune-epochs", "2"], {"distill": 8, "finetune_epochs": 2}),
        ("prune = 0.3\n", ["--train-positives", "p.fa"], {"prune": 0.3, "train_positives": "p.fa"}),
        ("distill_filters = 4\n", ["--distill", "8"], {"distill": 8, "distill_filters": 4}),
        ("prune = 0.3\nfinetune_epochs = 3\n", ["--prune", "0.2"], {"prune": 0.2, "finetune_epochs": 3}),
        ("prune = 0.3\n", [], {"prune": 0.3, "finetune_epochs": 5}),  # the default: never refused
    ],
)
def test_a_flag_needing_the_files_setting_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], want: dict[str, Any]
) -> None:
    """The file sets the training, the flag an option of it (or the reverse): the run gets both. Fails on
    main: exit 2 ('--distill-filters N needs --distill H'), or exit 1 for the file's student option alone."""
    cfg = _export_config(monkeypatch, tmp_path, text, *flags)
    assert {key: getattr(cfg, key) for key in want} == want


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        ("distill_filters = 4\n", [], "--distill-filters N needs --distill H (the student's units)"),
        ('train_positives = "p.fa"\n', [], "--train-positives/--train-negatives are for --prune F or --distill H"),
        ("finetune_epochs = 3\n", [], "--finetune-epochs is for --prune or --distill (their training); add one or drop it"),
        ("finetune_epochs = 3\n", ["--precision", "fp32"], "--finetune-epochs is for --prune or --distill"),
        ("distill = 8\ndistill_filters = 4\n", ["--distill", "0"], "--distill-filters N needs --distill H"),
    ],
)  # fmt: skip
def test_the_files_option_without_its_training_names_the_file(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], line: str
) -> None:
    """The file takes part in the refused combination: exit 1 (as every bad --config value in bio), one line
    naming the file, nothing written. Fails on main: 'c.toml: ...' without --config, and a file's
    finetune_epochs without prune or distill ran (exit 0)."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke("bio", "export", "-o", "out", *config_flags(text), *flags)
    assert_clean_failure(outcome, 1, f"error: --config c.toml: {line}")
    assert not Path("out").exists()


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        (None, ["--distill-filters", "4"], "--distill-filters N needs --distill H (the student's units)"),
        (None, ["--finetune-epochs", "3"], "--finetune-epochs is for --prune or --distill"),
        ('exporter = "torchscript"\n', ["--distill-filters", "4"], "--distill-filters N needs --distill H"),
        ("distill_filters = 2\n", ["--distill-filters", "4"], "--distill-filters N needs --distill H"),
        (
            'precision = "fp32"\n',
            ["--train-negatives", "n.fa"],
            "--train-positives/--train-negatives are for",
        ),
        (
            "finetune_epochs = 3\n",
            ["--finetune-epochs", "4"],
            "--finetune-epochs is for --prune or --distill",
        ),
    ],
)
def test_a_combination_typed_alone_is_a_usage_error(
    invoke: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    text: str | None,
    flags: list[str],
    line: str,
) -> None:
    """The command line alone makes it (a file without the training, or none): exit 2, as before."""
    monkeypatch.chdir(tmp_path)
    conf = config_flags(text)
    outcome = invoke("bio", "export", "-o", "out", *conf, *flags)
    assert_clean_failure(outcome, 2, line)
    assert "c.toml" not in outcome.stderr and not Path("out").exists()
