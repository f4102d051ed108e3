"""Every train command's ``--config`` file: a wrong precision is one wording (key, file, allowed values)
whatever its kind, and fp16 refused on the CPU names the file's key rather than a flag never given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli_harness import assert_clean_failure

COMMANDS = [  # (program, arguments before --config, the key's table, its name in messages)
    ("finance", ["forecast", "AAPL", "--source", "sample"], "[train]\n", "[train] precision"),
    ("finance", ["backtest", "AAPL", "--source", "sample"], "[train]\n", "[train] precision"),
    ("bio", ["train", "--motif", "CTCF", "-o", "{tmp}/m"], "[fit]\n", "[fit] precision"),
    ("nlp", ["sentiment", "train", "--data", "{tmp}/d.csv", "-o", "{tmp}/m"], "[fit]\n", "[fit] precision"),
    ("nlp", ["generate", "train", "--text", "{tmp}/d.txt", "-o", "{tmp}/m"], "[fit]\n", "[fit] precision"),
    ("nlp", ["translate", "train", "--pairs", "{tmp}/p.tsv", "-o", "{tmp}/m"], "[fit]\n", "[fit] precision"),
    ("speech", ["train", "--data", "{tmp}/m.tsv", "-o", "{tmp}/m"], "", "precision"),
]
IDS = [" ".join(c[1][:2]) for c in COMMANDS]


def _run(invoke: Any, tmp_path: Path, command: tuple[str, list[str], str, str], value: str) -> Any:
    prog, args, table, _ = command
    for name in ("d.csv", "d.txt", "p.tsv", "m.tsv"):  # inputs that exist (the precision is checked first)
        (tmp_path / name).write_text("x\n")
    conf = tmp_path / "run.toml"
    conf.write_text(f"{table}precision = {value}\n")
    return invoke(prog, *[a.format(tmp=tmp_path) for a in args], "--config", conf, "-q")


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
@pytest.mark.parametrize(("value", "shown"), [('"fp8"', "'fp8'"), ("3", "3")])
def test_a_wrong_precision_in_a_config_file_is_one_wording(
    invoke: Any, tmp_path: Path, command: Any, value: str, shown: str
) -> None:
    """Before: bio "precision must be one of ...", finance "unknown precision 'fp8'; use one of", nlp and
    speech "expected a string, got 3" (no allowed values)."""
    outcome = _run(invoke, tmp_path, command, value)
    table = command[2].strip()
    where = f"{table} in {tmp_path / 'run.toml'}: " if table else f"{tmp_path / 'run.toml'}: "
    assert_clean_failure(outcome, 1, f"{where}precision must be one of fp32, bf16, fp16, not {shown}")


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_fp16_from_a_config_file_names_the_file(invoke: Any, tmp_path: Path, command: Any) -> None:
    """Before: "--precision fp16 needs ..." though no flag was given."""
    outcome = _run(invoke, tmp_path, command, '"fp16"')
    assert_clean_failure(outcome, 1, f'{command[3]} = "fp16" in {tmp_path / "run.toml"}')
    assert not (tmp_path / "m").exists()
