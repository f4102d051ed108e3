"""The `--json` keys the nlp README's Commands section lists are the keys each command prints.

The lists were written from one run of each command and nothing held them to the CLI: a key added or renamed
left the README behind. Each command runs here on the tiny models the other tests already build; the
three trainings run one epoch of a 16-unit network on those tests' data (the synthetic CSV, the small text,
the toy translator's pairs); and its document's keys, top level and the
items' where the README lists them, are compared with the README's (``tests/readme_json.py``).
The samples commands are tests/test_readme_json_samples.py's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.readme_json import differences

# command -> (fixtures it reads, its arguments given the fixtures' values and a temporary folder)
Args = Callable[[dict[str, Path], Path], list[str]]
TINY = ["--embed-dim", "16", "--hidden-size", "16", "--epochs", "1", "--threads", "1"]
COMMANDS: dict[str, tuple[tuple[str, ...], Args]] = {
    "nlp sentiment train": (
        ("synthetic_csv",),
        lambda f, tmp: [
            "--data",
            str(f["synthetic_csv"]),
            "-o",
            str(tmp / "m"),
            "--vocab-size",
            "200",
            *TINY,
        ],
    ),
    "nlp generate train": (
        ("small_text",),
        lambda f, tmp: ["--text", str(f["small_text"]), "-o", str(tmp / "m"), *TINY],
    ),
    "nlp translate train": (
        ("toy_translator",),
        lambda f, tmp: [
            "--pairs",
            str(f["toy_translator"].parent / "pairs.tsv"),
            "-o",
            str(tmp / "m"),
            "--vocab-size",
            "60",
            "--members",
            "1",
            *TINY,
        ],
    ),
    "nlp sentiment predict": (
        ("sentiment_model",),
        lambda f, tmp: ["--model", str(f["sentiment_model"]), "fine", "bad"],
    ),
    "nlp sentiment evaluate": (
        ("sentiment_model", "synthetic_csv"),
        lambda f, tmp: ["--model", str(f["sentiment_model"]), "--data", str(f["synthetic_csv"])],
    ),
    "nlp sentiment export": (
        ("sentiment_model",),
        lambda f, tmp: ["--model", str(f["sentiment_model"]), "-o", str(tmp / "x")],
    ),
    "nlp generate run": (
        ("lm_model",),
        lambda f, tmp: ["--model", str(f["lm_model"]), "-p", "the", "--max-tokens", "5"],
    ),
    "nlp generate evaluate": (
        ("lm_model", "small_text"),
        lambda f, tmp: ["--model", str(f["lm_model"]), "-t", str(f["small_text"])],
    ),
    "nlp generate export": (
        ("lm_model",),
        lambda f, tmp: ["--model", str(f["lm_model"]), "-o", str(tmp / "x")],
    ),
    "nlp translate run": (
        ("toy_translator",),
        lambda f, tmp: ["--model", str(f["toy_translator"]), "open the file"],
    ),
    "nlp translate evaluate": (
        ("toy_translator",),
        lambda f, tmp: [
            "--model",
            str(f["toy_translator"]),
            "--pairs",
            str(f["toy_translator"].parent / "pairs.tsv"),
        ],
    ),
    "nlp translate export": (
        ("toy_translator",),
        lambda f, tmp: ["--model", str(f["toy_translator"]), "-o", str(tmp / "x")],
    ),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_readme_lists_the_json_keys_the_command_prints(
    command: str,
    nlp,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    quick_latency: None,  # type: ignore[no-untyped-def]
) -> None:
    needs, args = COMMANDS[command]
    fixtures = {name: request.getfixturevalue(name) for name in needs}
    run = nlp(*command.split()[1:], *args(fixtures, tmp_path), "--json")
    assert run.returncode == 0, run.stderr
    assert differences("nlp", command, json.loads(run.stdout)) == []
