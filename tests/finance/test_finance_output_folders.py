"""finance's output folders (``--out``, ``--model-dir``) are checked by core's ``check_output_dir``, raising
finance's OutputPathError: finance kept a near-copy (``runs.check_folder``) that took ``-`` as a folder name
(a folder named ``-`` in the working directory) and worded a file in the path its own way."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.core.errors import ConfigError
from carrousel.finance.errors import OutputPathError
from carrousel.finance.runs import check_run_folder


def test_the_run_folder_check_is_cores(tmp_path: Path) -> None:
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(
        OutputPathError, match=r"^out_dir='.*file\.txt' is a file, not a folder; give a folder path$"
    ):
        check_run_folder(afile)
    with pytest.raises(OutputPathError, match=r"file\.txt is a file, so the output cannot be created there"):
        check_run_folder(afile / "sub")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(OutputPathError, match=r"holds files but no run\.json"):
        check_run_folder(tmp_path / "other")
    with pytest.raises(ConfigError, match=r"^out_dir writes a folder"):  # before: accepted
        check_run_folder(Path("-"))
    check_run_folder(None)
    check_run_folder(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "other"]
