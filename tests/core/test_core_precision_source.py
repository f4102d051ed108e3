"""Where a precision came from, in the messages that refuse it (the flag or a ``--config`` key), one wording
for a wrong precision in any config, and how a bundle's provenance says how it was trained."""

from __future__ import annotations

import pytest

from carrousel.core.device import check_precision
from carrousel.core.errors import ConfigError
from carrousel.core.export.choices import (
    InferencePrecision,
    PrecisionSource,
    check_precision_name,
    precision_from,
)
from carrousel.core.export.deploy import EXPORT_ASSET
from carrousel.core.option_names import flags_named
from carrousel.core.provenance import (
    bundle_precision_report,
    exported_precision,
    precision_report,
    precision_words,
    trained_precision,
)


def test_fp16_on_the_cpu_names_the_flag_or_the_files_key() -> None:
    with pytest.raises(
        ConfigError, match=r"^precision='fp16' needs a CUDA or MPS device; on the CPU use precision='bf16'$"
    ):
        check_precision("fp16", "cpu")  # a Python caller (before: --precision to it too)
    with (
        flags_named(),
        pytest.raises(
            ConfigError,
            match=r"^--precision fp16 needs a CUDA or MPS device; on the CPU use --precision bf16$",
        ),
    ):
        check_precision("fp16", "cpu")  # a command's flag
    source = PrecisionSource.of(False, "run.toml", "[fit] precision")
    with precision_from(source), pytest.raises(ConfigError) as caught:
        check_precision("fp16", "cpu")
    assert str(caught.value) == (
        '[fit] precision = "fp16" in run.toml needs a CUDA or MPS device; on the CPU use --precision bf16 '
        '(or [fit] precision = "bf16" there)'
    )  # before: "--precision fp16 needs ...", a flag the user never gave
    with pytest.raises(ConfigError, match=r"^precision='fp16'"):  # the block is left: the setting again
        check_precision("fp16", "cpu")
    assert PrecisionSource.of(True, "run.toml", "[fit] precision") == PrecisionSource()  # the flag won


@pytest.mark.parametrize(("value", "shown"), [("fp8", "'fp8'"), (3, "3"), (None, "None")])
def test_a_wrong_precision_is_one_wording(value: object, shown: str) -> None:
    with pytest.raises(ConfigError, match=f"^precision must be one of fp32, bf16, fp16, not {shown}$"):
        check_precision_name(value)
    assert check_precision_name("bf16") is InferencePrecision.BF16


def test_trained_precision_reads_every_domains_record() -> None:
    assert trained_precision({"train": {"precision": "bf16", "lr": 1e-3}}) == "bf16"  # bio, speech
    assert trained_precision({"precision": "bf16", "seed": 0}) == "bf16"  # nlp
    assert trained_precision({"train": {"lr": 1e-3}}) == "fp32"  # written before the record: fp32
    assert trained_precision({}, unrecorded=None) is None and trained_precision(None) == "fp32"
    assert precision_report(None, InferencePrecision.BF16) == {"trained_precision": None, "precision": "bf16"}


def test_a_loaded_bundles_report_names_what_the_run_computed_in() -> None:
    """An exported bundle runs its ONNX file (int8 or fp32) whatever was asked; a plain one the run's
    precision; its training record read as :func:`trained_precision` reads it."""
    exported = {EXPORT_ASSET: {"precision": "int8", "file": "model.int8.onnx"}}
    assert exported_precision(exported) == "int8" and exported_precision({}) is None
    assert exported_precision({EXPORT_ASSET: "odd"}) is None and exported_precision(None) is None
    nlp, bio = {"precision": "bf16"}, {"train": {"precision": "bf16"}}
    assert bundle_precision_report(nlp, exported, "fp32") == {
        "trained_precision": "bf16",
        "precision": "int8",
    }
    assert bundle_precision_report(bio, {}, "bf16") == {"trained_precision": "bf16", "precision": "bf16"}
    assert bundle_precision_report({}, {}, "fp32") == {"trained_precision": "fp32", "precision": "fp32"}
    assert precision_words("bf16", "int8") == "trained in bf16, run in int8"
    assert precision_words(None, "fp32") == "trained in an unrecorded precision, run in fp32"
