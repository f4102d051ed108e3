"""The line-length bound of core's ``read_text`` counts lines as ``file_lines`` splits them.

It split at ``\\n`` alone, so a file from an old Mac (or a ``tr '\\n' '\\r'`` pipeline) whose lines end in
CR alone was one line as long as the file: a 300-row price CSV got "line 1 is over 10,000 characters; is
this really CSV?" from ``finance forecast --csv``, where its CRLF and LF twins read the same prices.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.core.errors import DataError
from carrousel.core.files import read_text

ROW = "2024-01-02,1.0,2.0,0.5,1.5,100"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_file_of_short_lines_passes_whatever_its_line_ends(tmp_path: Path, end: str) -> None:
    text = end.join(["Date,Open,High,Low,Close,Volume", *[ROW] * 400]) + end
    (p := tmp_path / "p.csv").write_bytes(text.encode())
    assert read_text(p, "p.csv", "CSV", max_line=100) == text


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_the_long_line_is_named_by_its_number(tmp_path: Path, end: str) -> None:
    (p := tmp_path / "p.csv").write_bytes(end.join(["head", ROW, "x" * 101, ROW]).encode())
    with pytest.raises(DataError, match=r": line 3 is over 100 characters; is this really CSV\?$"):
        read_text(p, "p.csv", "CSV", max_line=100)
