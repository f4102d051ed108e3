"""A read that fails for want of a resource (open files, memory) is not blamed on the file.

Core's :func:`~carrousel.core.files.read_text` and :func:`~carrousel.core.files.check_input_file` turned
every ``OSError`` into "cannot be read (...); check the file", so too many open files never reached the
CLI boundary's line naming the limit and ``ulimit -n``. They now hand those errors on as they came
(:func:`carrousel.core.files_text.read_failure`); any other ``OSError`` keeps its one ``DataError`` line.
"""

from __future__ import annotations

import errno
import gzip
import os
from pathlib import Path

import pytest

from carrousel.core import cli
from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file, read_text
from tests.open_faults import fail_opens

RESOURCES = {
    errno.EMFILE: "too many open files (",
    errno.ENFILE: "in the system",
    errno.ENOMEM: "out of memory",
}


def _source(tmp_path: Path, kind: str) -> Path:
    """A good text file: plain, gzip-compressed, or a FIFO (opened for a one-pass read, never written)."""
    if kind == "fifo":
        os.mkfifo(p := tmp_path / "fifo")
    elif kind == "gz":
        (p := tmp_path / "t.txt.gz").write_bytes(gzip.compress(b"a\nb\n"))
    else:
        (p := tmp_path / "t.txt").write_text("a\nb\n")
    return p


@pytest.mark.parametrize("kind", ["plain", "gz", "fifo"])
@pytest.mark.parametrize("code", list(RESOURCES))
def test_a_resource_error_goes_on_as_it_came(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, code: int
) -> None:
    """On main: DataError '--file ...: cannot be read (Too many open files); check the file'. Now the
    OSError itself, whose CLI line names the real cause and its fix."""
    p = _source(tmp_path, kind)
    fail_opens(monkeypatch, p, code)
    with pytest.raises(OSError) as info:
        read_text(p, "--file", "text", streams=True)
    assert not isinstance(info.value, DataError) and info.value.errno == code
    line = cli.error_line(info.value)
    assert line.startswith(f"{p}: ") and RESOURCES[code] in line and "check the" not in line, line
    if code == errno.EMFILE:
        assert "ulimit -n" in line, line


@pytest.mark.parametrize("code", list(RESOURCES))
def test_the_size_check_hands_on_a_resource_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """check_input_file's stat (as ENOMEM from the kernel) is not 'cannot be read; check the path'."""
    p = _source(tmp_path, "plain")
    real_stat = Path.stat

    def failing_stat(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if self == p:
            raise OSError(code, os.strerror(code), os.fspath(p))
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", failing_stat)
    with pytest.raises(OSError) as info:
        check_input_file(p, "--csv", "CSV")
    assert not isinstance(info.value, DataError) and info.value.errno == code


@pytest.mark.parametrize("kind", ["plain", "gz", "fifo"])
def test_other_read_errors_keep_their_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """An I/O error (a failing disk) is still the file's: one DataError line naming it and what to check."""
    p = _source(tmp_path, kind)
    fail_opens(monkeypatch, p, errno.EIO)
    fix = "check the input" if kind == "fifo" else "check the file"
    with pytest.raises(DataError) as info:
        read_text(p, "--file", "text", streams=True)
    assert str(info.value) == f"--file {p}: cannot be read ({os.strerror(errno.EIO)}); {fix}"


def test_the_cli_lines_of_a_full_file_table_and_of_no_memory() -> None:
    enfile = cli.error_line(OSError(errno.ENFILE, os.strerror(errno.ENFILE), "/m/w.pt"))
    assert (
        enfile
        == "/m/w.pt: too many open files in the system; close other programs or raise the system's limit"
    )
    enomem = cli.error_line(OSError(errno.ENOMEM, os.strerror(errno.ENOMEM), "/d/t.txt"))
    assert enomem == "/d/t.txt: out of memory; use a smaller input, batch size or model"


@pytest.mark.parametrize("raw", [b"", b" \n", b"\xff\xfe", b"\xff\xfe \x00\n\x00"])
def test_decode_checked_takes_blank_text_when_told(raw: bytes) -> None:
    """``blank_ok``: an empty or whitespace-only input (UTF-8, or UTF-16 after its byte-order mark) is text, for a
    file whose emptiness means something (speech's transcript of silence); without it, one line refuses it."""
    from carrousel.core.files_text import decode_checked

    assert decode_checked(raw, "t.txt", "transcript", None, ("utf-8-sig",), blank_ok=True).strip() == ""
    with pytest.raises(DataError, match=r"^t\.txt holds only whitespace; give a transcript file with data$"):
        decode_checked(raw, "t.txt", "transcript", None, ("utf-8-sig",))
