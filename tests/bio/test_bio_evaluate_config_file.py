"""``bio evaluate --config FILE``: ``--pwm-only``'s checks (it needs a motif; a model beside it is ignored)
read the file's settings and the flags merged, the flags winning (core's ``cli.refuse_merged``). Before,
the CLI checked '--pwm-only needs --motif' on the flags only and skipped it whenever a file was given (the
pipeline then said it, exit 1, without the file), and a typed '--pwm-only --model M' was exit 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.bio.cli import app
from tests.cli_harness import assert_clean_failure, config_flags, config_of

SETS = ("--positives", "p.fa", "--negatives", "n.fa")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ('motifs = ["CTCF"]\n', ["--pwm-only"]),  # the file's motif, the flag's PWMs only
        ("pwm_only = true\n", ["-m", "CTCF"]),
    ],
)
def test_pwm_only_with_the_files_motif_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str]
) -> None:
    """The file sets one half, the flag the other: the run gets both (on main too: the guard was skipped)."""
    conf = tmp_path / "c.toml"
    conf.write_text(text)
    argv = ("evaluate", *SETS, "--config", str(conf), *flags)
    cfg = config_of(monkeypatch, app, "carrousel.bio.pipeline", "evaluate", *argv)
    assert (cfg.pwm_only, cfg.motifs) == (True, ("CTCF",))


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        ("pwm_only = true\n", [], "--config c.toml: --pwm-only needs --motif"),
        ('model = "m"\n', ["--pwm-only", "-m", "CTCF"], "--config c.toml: --model m is not used with --pwm-only"),
        ('pwm_only = true\nmodel = "m"\n', ["-m", "CTCF"], "--config c.toml: --model m is not used with --pwm-only"),
    ],
)  # fmt: skip
def test_the_files_part_in_a_refused_pwm_only_names_the_file(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], line: str
) -> None:
    """Exit 1 (a bad --config file in bio), one line naming it. Fails on main: the pipeline's or the
    config's line without the file."""
    monkeypatch.chdir(tmp_path)
    assert_clean_failure(invoke("bio", "evaluate", *SETS, *config_flags(text), *flags), 1, f"error: {line}")


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        (None, ["--pwm-only"], "--pwm-only needs --motif"),
        ('task = "max"\n', ["--pwm-only"], "--pwm-only needs --motif"),
        (None, ["--pwm-only", "-m", "CTCF", "--model", "m"], "--model m is not used with --pwm-only"),
        (
            'task = "max"\n',
            ["--pwm-only", "-m", "CTCF", "--model", "m"],
            "--model m is not used with --pwm-only",
        ),
    ],
)
def test_pwm_only_typed_alone_wrongly_is_a_usage_error(
    invoke: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    text: str | None,
    flags: list[str],
    line: str,
) -> None:
    """The command line alone makes it (a file that sets neither, or none): exit 2. Fails on main for the
    file (the pipeline's exit 1) and for a typed --model (the config's exit 1)."""
    monkeypatch.chdir(tmp_path)
    conf = config_flags(text)
    outcome = invoke("bio", "evaluate", *SETS, *conf, *flags)
    assert_clean_failure(outcome, 2, line)
    assert "c.toml" not in outcome.stderr


def test_the_file_is_merged_with_the_flags_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """'bio evaluate --config F' checked F's settings (by kind) and merged them with the flags twice: once
    for --pwm-only's checks (core's refuse_merged), once more to build the config (core's overlay). Now
    once: the checked, merged settings build the config the run gets (the same config as before)."""
    import carrousel.bio.cli._settings as bio_cli_settings
    import carrousel.core.config as core_config

    checked: list[dict[str, Any]] = []

    def counting(module: Any) -> None:
        real = module.file_values

        def file_values(cls: type, data: Any, **kw: Any) -> dict[str, Any]:
            checked.append(dict(data))
            return real(cls, data, **kw)  # type: ignore[no-any-return]

        monkeypatch.setattr(module, "file_values", file_values)

    counting(core_config)  # overlay's and from_dict's
    counting(bio_cli_settings)  # the CLI's merged settings
    conf = tmp_path / "c.toml"
    conf.write_text('task = "max"\nmotifs = ["CTCF"]\n')
    argv = ("evaluate", *SETS, "--config", str(conf), "--pwm-only", "--device", "cpu")
    cfg = config_of(monkeypatch, app, "carrousel.bio.pipeline", "evaluate", *argv)
    assert (cfg.task, cfg.motifs, cfg.pwm_only, cfg.model) == ("max", ("CTCF",), True, None)
    assert checked.count({"task": "max", "motifs": ["CTCF"]}) == 1, checked  # before: 2
