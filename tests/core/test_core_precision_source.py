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
from carrousel.core.provenance import precision_report, trained_precision


def test_fp16_on_the_cpu_names_the_flag_or_the_files_key() -> None:
    with pytest.raises(
        ConfigError, match=r"^--precision fp16 needs a CUDA or MPS device; on the CPU use --pre"
    ):
        check_precision("fp16", "cpu")
    source = PrecisionSource.of(False, "run.toml", "[fit] precision")
    with precision_from(source), pytest.raises(ConfigError) as caught:
        check_precision("fp16", "cpu")
    assert str(caught.value) == (
        '[fit] precision = "fp16" in run.toml needs a CUDA or MPS device; on the CPU use --precision bf16 '
        '(or [fit] precision = "bf16" there)'
    )  # before: "--precision fp16 needs ...", a flag the user never gave
    with pytest.raises(ConfigError, match=r"^--precision fp16"):  # the block is left: the flag again
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
