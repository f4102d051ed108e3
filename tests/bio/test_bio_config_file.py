"""``bio scan --config FILE``: a file that does not set ``method`` keeps the command's own default (pwm
with motifs, else the model), as without a file; the file's and the flags' method win over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.bio.cli import app
from tests.cli_harness import assert_clean_failure, config_flags, config_of


def _scan_config(monkeypatch: pytest.MonkeyPatch, *argv: str) -> Any:
    """The config ``bio scan g.fa *argv`` hands to the pipeline (replaced, so nothing runs)."""
    return config_of(monkeypatch, app, "carrousel.bio.scan_run", "scan", "scan", "g.fa", *argv)


@pytest.mark.parametrize(
    ("text", "flags", "method"),
    [
        ("pvalue = 1e-5\n", [], "model"),  # before: pwm (ScanConfig's default), without any motif
        ("pvalue = 1e-5\n", ["-m", "CTCF"], "pwm"),
        ('motifs = ["CTCF"]\n', [], "pwm"),
        ('method = "both"\n', [], "both"),
        ('method = "both"\n', ["--method", "pwm"], "pwm"),
    ],
)
def test_scan_method_defaults_as_without_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], method: str
) -> None:
    conf = tmp_path / "scan.toml"
    conf.write_text(text)
    cfg = _scan_config(monkeypatch, "--config", str(conf), *flags)
    assert cfg.method == method
    assert cfg.pvalue == (1e-5 if "pvalue" in text else 1e-4)
    plain = _scan_config(monkeypatch, *flags)  # the same flags without a file
    assert plain.method == ("pwm" if flags else "model")


def test_a_wrong_value_names_the_file_and_the_key(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cfg.toml").write_text('pvalue = "small"\n')
    outcome = invoke("bio", "scan", "g.fa", "--config", "cfg.toml")
    assert_clean_failure(outcome, 1)  # before: "ScanConfig.pvalue: expected float, got 'small'"
    assert outcome.error_lines() == ["error: pvalue in cfg.toml: expected a number, got 'small'"]


def test_a_model_beside_motifs_is_kept_when_the_file_sets_method_both(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """'bio scan G -m CTCF --model M --config F' with ``method = "both"`` in F (no --method) was refused with
    "--model M is not used by a PWM scan": the flags were checked as a PWM scan before the file was read,
    though the run is the file's --method both. Without a method in the file it is still refused."""
    both = tmp_path / "both.toml"
    both.write_text('method = "both"\n')
    cfg = _scan_config(monkeypatch, "-m", "CTCF", "--model", "m", "--config", str(both))
    assert (cfg.method, cfg.model, cfg.motifs) == ("both", "m", ("CTCF",))
    other = tmp_path / "other.toml"
    other.write_text("pvalue = 1e-5\n")
    monkeypatch.chdir(tmp_path)
    outcome = invoke("bio", "scan", "g.fa", "-m", "CTCF", "--model", "m", "--config", str(other))
    assert_clean_failure(outcome, 1, "is not used by a PWM scan of --motif motifs")


def test_a_model_scan_option_in_the_file_is_read_by_the_typed_model_method(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """'bio scan G --method model --config F' with 'model_background = "bg.fa"' in F was refused (exit 1,
    'F: --model-background bg.fa is not used by a PWM scan ... use --method model') although --method model
    was typed: core's overlay built the file alone first, as a PWM scan (ScanConfig's default method). Now
    only the merged config is checked; without --method model it is still refused, naming the file."""
    conf = tmp_path / "scan.toml"
    conf.write_text('model_background = "bg.fa"\n')
    cfg = _scan_config(monkeypatch, "--method", "model", "--config", str(conf))
    assert (cfg.method, cfg.model_background) == ("model", "bg.fa")
    monkeypatch.chdir(tmp_path)
    outcome = invoke("bio", "scan", "g.fa", "-m", "CTCF", "--config", "scan.toml")
    assert_clean_failure(outcome, 1, "error: scan.toml: --model-background bg.fa is not used by a PWM scan")


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        ('calls = "fdr"\n', ["-m", "CTCF"], "--model-calls fdr is not used by a PWM scan"),
        ('method = "pwm"\nmotifs = ["CTCF"]\nmodel_qvalue = 0.01\n', [], "--model-qvalue 0.01 is not used by"),
        ('device = "cpu"\n', ["-m", "CTCF"], "--device cpu is not used by a PWM scan"),
        ('motifs = ["CTCF"]\n', ["--model-null", "genome"], "--model-null genome is not used by a PWM scan"),
        ('method = "pwm"\nmotifs = ["CTCF"]\n', ["--precision", "bf16"], "--precision bf16 is not used by a PWM"),
    ],
)  # fmt: skip
def test_a_model_option_the_file_takes_part_in_names_the_file(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], line: str
) -> None:
    """A model scan's option in a PWM scan that the --config file sets, or a typed one in a scan the file
    makes a PWM scan (its motifs or its method): one line naming the file, exit 1, before any work (core's
    refuse_merged). Fails on main: a usage error (exit 2), the file's key in the line or no file at all."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke(
        "bio", "scan", "g.fa", *config_flags(text, "scan.toml"), *flags
    )  # g.fa missing: never read
    assert_clean_failure(outcome, 1, f"error: --config scan.toml: {line}")
    assert "--method model or both" in outcome.stderr


@pytest.mark.parametrize(
    ("text", "flags", "line"),
    [
        ('calls = "fdr"\n', ["-m", "CTCF", "--precision", "bf16"], "--precision bf16 is not used by a PWM scan"),
        ('pvalue = 1e-5\n', ["-m", "CTCF", "--model-null", "genome"], "--model-null genome is not used by a"),
        ('calls = "fdr"\n', ["-m", "CTCF", "--model-calls", "pwm-rate"], "--model-calls pwm-rate is not used"),
        ('method = "pwm"\n', ["-m", "CTCF", "--precision", "bf16"], "--precision bf16 is not used by a PWM"),
    ],
)  # fmt: skip
def test_a_model_option_typed_alone_in_a_pwm_scan_stays_a_usage_error(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], line: str
) -> None:
    """The command line alone makes the refusal (the file beside it sets something else, a model option
    the typed flag overrides, or the method the typed motif gives anyway): exit 2, the line of the same flags without a file. The first fails
    on main: the file's 'calls' was refused first, whatever was typed."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke("bio", "scan", "g.fa", *config_flags(text, "scan.toml"), *flags)
    assert_clean_failure(outcome, 2, line)
    assert "scan.toml" not in outcome.stderr


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ('calls = "fdr"\nmethod = "both"\n', ["-m", "CTCF"]),  # the file's method reads its model option
        ('calls = "fdr"\n', ["-m", "CTCF", "--method", "model"]),
        ('calls = "fdr"\n', []),  # no motif: a model scan, the command's default
    ],
)
def test_the_files_model_option_in_a_scan_that_reads_it_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str]
) -> None:
    conf = tmp_path / "scan.toml"
    conf.write_text(text)
    cfg = _scan_config(monkeypatch, "--config", str(conf), *flags)
    assert cfg.calls == "fdr" and cfg.method != "pwm"


@pytest.mark.parametrize(
    ("text", "flags", "named"),
    [
        ("pvalue = 1e-5\n", ["--qvalue", "0.01"], False),  # the file sets something else
        ("qvalue = 0.05\n", ["--qvalue", "0.01"], False),  # the typed flag overrides the file's
        ('motifs = ["CTCF"]\n', ["--qvalue", "0.01"], None),  # the file's motifs make it a PWM scan: read
        ("qvalue = 0.01\n", [], True),  # the file's own
    ],
)  # fmt: skip
def test_a_pwm_option_in_a_model_scan_names_the_file_only_where_it_takes_part(
    invoke: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    text: str,
    flags: list[str],
    named: bool | None,
) -> None:
    """'bio scan G --qvalue 0.01 --config F', F setting only ``pvalue``: the line led with F ("F: --qvalue
    0.01 is not used by a model scan"), though F plays no part. Now the line of the same flags without a
    file (exit 1 as before); F is named where its settings make the refusal. Fails on main (F named)."""
    monkeypatch.chdir(tmp_path)
    Path("g.fa").write_text(">chr1\n" + "ACGT" * 40 + "\n")
    outcome = invoke(
        "bio", "scan", "g.fa", *config_flags(text, "scan.toml"), *flags, "--no-progress", "-o", "hits.tsv"
    )
    if named is None:
        assert outcome.code == 0, outcome.stderr
        return
    line = "--qvalue 0.01 is not used by a model scan (it is the PWM method's"
    assert_clean_failure(outcome, 1, f"error: {'scan.toml: ' if named else ''}{line}")
    assert not Path("hits.tsv").exists()
