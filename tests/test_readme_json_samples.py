"""The `--json` keys each domain README lists for ``samples list`` and ``samples place`` are the keys printed.

The samples commands are core's (``carrousel.core.cli_samples``) under each program, and need no model: one
parametrised test over the four programs, beside each domain's ``test_*_readme_json.py`` for its own commands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_harness import Outcome
from tests.readme_json import differences

# a group of each program's samples, placed from an empty folder
GROUPS = {"finance": "stocks", "bio": "ecoli", "nlp": "pang_lee", "speech": "goforward"}


@pytest.mark.parametrize("prog", sorted(GROUPS))
@pytest.mark.parametrize("command", ["list", "place"])
def test_readme_lists_the_json_keys_the_samples_commands_print(
    prog: str, command: str, invoke: Callable[..., Outcome], tmp_path: Path
) -> None:
    args = [GROUPS[prog], "--from", tmp_path] if command == "place" else []
    done = invoke(prog, "samples", command, *args, "--json")
    # samples place: exit 1 where the group is not cached (nothing to place from an empty folder)
    assert done.code in ((0, 1) if command == "place" else (0,)), done.stderr
    assert differences(prog, f"{prog} samples {command}", json.loads(done.stdout)) == []
