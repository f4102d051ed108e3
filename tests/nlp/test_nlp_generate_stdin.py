"""``nlp generate``: a text from standard input, a folder given as ``--text``, evaluate's ``--holdout`` help.

Found walking ``nlp generate`` (session 49): ``--text -`` exited 1, a config error, where a flag the command
cannot take is a usage error (exit 2); ``[data] files = ["-"]`` in a ``--config`` file read ``[data] in
c.toml: --text - ...``, two names for one setting, the flag never typed. ``--text FOLDER`` said "give the
file inside it" to a folder of several files. ``generate evaluate --help`` showed ``[default: 0.1; evaluate:
the model's]`` inside evaluate's own help.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.nlp.conftest import Run

WHY = (
    "- (standard input) cannot be read: the text is read again by name (its held-out tail by evaluate and "
    "export); save it to a file and give that"
)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("train", ["-o", "{tmp}/m", "--epochs", "1"]),
        ("evaluate", ["--model", "{tmp}/m"]),
        ("export", ["--model", "{tmp}/m", "--out", "{tmp}/e"]),
    ],
)
def test_text_from_standard_input_is_a_usage_error_everywhere(
    tmp_path: Path, nlp: Callable[..., Run], command: str, args: list[str]
) -> None:
    """``--text -`` (a pipe, as ``sentiment predict --file -`` reads one): the text is read again by name, so
    one line saying to save it to a file (before: "--text - not found; check the path" from train)."""
    run = nlp("generate", command, "--text", "-", *(a.format(tmp=tmp_path) for a in args))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"error: Invalid value: --text {WHY}; see 'nlp generate {command} --help'"
    ]


def test_standard_input_in_the_config_file_is_named_as_the_file_holds_it(
    tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    (config := tmp_path / "c.toml").write_text('[data]\nfiles = ["-"]\n', encoding="utf-8")
    run = nlp("generate", "train", "--config", str(config), "-o", str(tmp_path / "m"))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [f"error: [data] files in {config}: {WHY}"]
    assert not (tmp_path / "m").exists()


def test_a_folder_of_several_files_is_told_its_count_and_first_files(
    tmp_path: Path, nlp: Callable[..., Run]
) -> None:
    (folder := tmp_path / "texts").mkdir()
    for name in ("d.txt", "a.txt", "c.txt", "b.txt", ".hidden"):
        (folder / name).write_text("the cat sat\n", encoding="utf-8")
    run = nlp("generate", "train", "--text", str(folder), "-o", str(tmp_path / "m"), "--epochs", "1")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"error: --text {folder} is a folder of 4 files (a.txt, b.txt, c.txt, ...), not a text file; give a "
        f"file by its path, e.g. {folder / 'a.txt'}"
    ]


def test_a_folder_of_one_file_names_it(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    (folder := tmp_path / "texts").mkdir()
    (folder / "a.txt").write_text("the cat sat\n", encoding="utf-8")
    run = nlp("generate", "train", "--text", str(folder), "-o", str(tmp_path / "m"), "--epochs", "1")
    assert run.stderr.strip().splitlines() == [
        f"error: --text {folder} is a folder, not a text file; give the file inside it, {folder / 'a.txt'}"
    ]


def test_evaluate_help_names_its_own_holdout_default(nlp: Callable[..., Run]) -> None:
    help_text = " ".join(nlp("generate", "evaluate", "--help").stdout.split())
    assert "[default: the model's, as it was trained]" in help_text
    assert "evaluate: the model's" not in help_text
    train_help = " ".join(nlp("generate", "train", "--help").stdout.split())
    assert "Share at the end held out [default: 0.1]." in train_help
