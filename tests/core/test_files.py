"""Edge checks on input and output paths: one clear error before any work, never a hang."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from carrousel.core.errors import CarrouselError, ConfigError, DataError
from carrousel.core.files import (
    check_input_file,
    check_output_dir,
    check_output_file,
    creatable_in,
    read_text,
)


def _fifo(tmp_path: Path) -> Path:
    p = tmp_path / "fifo"
    os.mkfifo(p)
    return p


BAD_INPUTS = {
    "missing": (lambda t: t / "nope.csv", "not found"),
    "folder": (lambda t: t, "is a folder"),
    "fifo without writer": (_fifo, "is a FIFO"),
    "dev null": (lambda t: Path("/dev/null"), "device or special file"),
    "dev zero": (lambda t: Path("/dev/zero"), "device or special file"),
    "empty": (lambda t: ((t / "e.csv").write_bytes(b"") and t / "e.csv") or t / "e.csv", "is empty"),
    "below a file": (lambda t: (t / "f").write_text("x") and t / "f" / "x.csv", "cannot be read|not found"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_inputs_fail_fast(tmp_path: Path, case: str) -> None:
    make, message = BAD_INPUTS[case]
    path = make(tmp_path)
    with pytest.raises(DataError, match=message) as info:
        check_input_file(path, "--csv", "CSV")
    assert str(info.value).startswith(f"--csv {path}") and "\n" not in str(info.value)


def test_size_bound(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_bytes(b"a\n" * 1000)
    with pytest.raises(DataError, match="over the"):
        check_input_file(p, max_bytes=100)


def test_read_text_plain_gzip_and_bom(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes("\ufeffdate,close\n2020-01-02,1.5\n".encode())
    assert read_text(tmp_path / "a.txt").startswith("date,close")
    with gzip.open(tmp_path / "a.txt.gz", "wt") as fh:
        fh.write("x\ny\n")
    assert read_text(tmp_path / "a.txt.gz") == "x\ny\n"
    (tmp_path / "A.TXT.GZ").write_bytes((tmp_path / "a.txt.gz").read_bytes())
    assert read_text(tmp_path / "A.TXT.GZ") == "x\ny\n"  # the suffix in any case, as the domains tell formats


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read_as_text(
    tmp_path: Path, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows' "Unicode" text (Notepad, PowerShell's ``>``) starts with a UTF-16 byte-order mark: it is
    read as the text it is, from a file and from a pipe, not refused as binary for its NUL bytes."""
    import io
    import sys

    raw = "\ufeffcafé 👍\r\nzweite Zeile\r\n".encode(encoding)
    (tmp_path / "u16.txt").write_bytes(raw)
    assert read_text(tmp_path / "u16.txt", "--file", "text") == "café 👍\r\nzweite Zeile\r\n"

    class Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Stdin(io.BytesIO(raw)))
    assert read_text("-", "--file", "text", streams=True) == "café 👍\r\nzweite Zeile\r\n"


def test_utf16_mark_on_binary_or_broken_data_is_still_refused(tmp_path: Path) -> None:
    p = tmp_path / "u16.txt"
    p.write_bytes(b"\xff\xfe" + "ab\x00cd".encode("utf-16-le"))  # a NUL character
    with pytest.raises(DataError, match=r"binary file, not text$"):
        read_text(p, "--file", "text")
    p.write_bytes(b"\xff\xfeab\x00")  # an odd byte count
    with pytest.raises(DataError, match="starts as UTF-16 but is not UTF-16 text; convert it to UTF-8"):
        read_text(p, "--file", "text")


HOSTILE_TEXT = {
    "truncated gzip": (lambda: gzip.compress(b"a,b\n" * 5000)[:-40], ".gz", "damaged gzip"),
    "not gzip at all": (lambda: b"plain text\n", ".gz", "damaged gzip"),
    "binary": (lambda: bytes(range(256)) * 4, ".csv", "binary file"),
    "latin-1": (lambda: "caf\xe9\n".encode("latin-1"), ".csv", "not UTF-8 text"),
    "no newline, long": (lambda: b"1," * 60_000, ".csv", "line 1 is over"),
    "whitespace only": (lambda: b"  \n\t\n", ".csv", "only whitespace"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TEXT))
def test_hostile_text_is_one_data_error(tmp_path: Path, case: str) -> None:
    make, suffix, message = HOSTILE_TEXT[case]
    p = tmp_path / f"in{suffix}"
    p.write_bytes(make())
    with pytest.raises(DataError, match=message) as info:
        read_text(p, "--csv", "CSV", max_line=100_000)
    assert "\n" not in str(info.value)


def test_text_not_in_utf8_names_the_line_and_byte_not_a_codec(tmp_path: Path) -> None:
    """A Latin-1 file (a real user's first non-UTF-8 input) is refused naming the line and the byte to
    look at, in words a user knows ("UTF-8", not Python's codec name "utf-8-sig")."""
    p = tmp_path / "texts.txt"
    p.write_bytes(
        b"\xef\xbb\xbf" + "good\r\nfine\r\nalso fine\r\ncaf\xe9 ouvert\r\n".encode("latin-1")
    )  # BOM too
    with pytest.raises(DataError) as info:
        read_text(p, "--file", "text")
    message = str(info.value)
    assert "utf-8-sig" not in message and "\n" not in message
    assert "is not UTF-8 text" in message
    assert "byte 0xe9 on line 4, column 4" in message and "convert it to UTF-8" in message


def test_binary_file_message_names_the_kind_once(tmp_path: Path) -> None:
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\x7fELF\x00\x00")
    with pytest.raises(DataError, match=r"binary file, not text$"):
        read_text(p, "--file", "text")
    with pytest.raises(DataError, match=r"binary file, not CSV text$"):
        read_text(p, "--csv", "CSV")


def test_output_checks(tmp_path: Path) -> None:
    assert check_output_file(tmp_path / "new" / "deeper" / "x.png", "--plot", (".png",))
    assert check_output_file("/dev/null", "-o") == Path("/dev/null")
    with pytest.raises(ConfigError, match="is a folder"):
        check_output_file(tmp_path, "-o")
    with pytest.raises(ConfigError, match=r"must end in \.png"):
        check_output_file(tmp_path / "x.jpg", "--plot", (".png",))
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        check_output_file(tmp_path / "file" / "x.txt", "-o")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        check_output_dir(tmp_path / "file", "--out")
    assert check_output_dir(tmp_path / "run", "--out") == tmp_path / "run"


def test_output_dir_raises_the_callers_error(tmp_path: Path) -> None:
    """``error=``: a domain's own class (finance's OutputPathError), as refuse_other_files takes, so no domain
    keeps a near-copy of this check to raise its own error (finance's runs.check_folder did)."""

    class OwnError(CarrouselError):
        pass

    (tmp_path / "file").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    cases = [
        (tmp_path / "file", "is a file, not a folder; give a folder path"),
        (tmp_path / "file" / "sub", "is a file, so the output cannot be created there; change the path"),
        (tmp_path / "other", "holds files but no run.json"),
    ]
    if Path("/proc").is_dir():  # a pseudo file system where no file can be created, even as root
        cases.append((Path("/proc/run"), "cannot create or write in /proc ("))
    for path, needle in cases:
        with pytest.raises(OwnError) as err:
            check_output_dir(path, "--out", "run.json", error=OwnError)
        assert needle in str(err.value) and str(err.value).startswith(f"--out {path}"), err.value
    with pytest.raises(ConfigError, match="writes a folder"):  # '-' stays a usage problem
        check_output_dir("-", "--out", error=OwnError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_output_dir_names_a_fifo_for_what_it_is(tmp_path: Path) -> None:
    """``nlp sentiment train --out FIFO``, ``speech train --out FIFO``: on main 'is a file, not a folder'."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError) as err:
        check_output_dir(fifo, "--out")
    assert str(err.value) == f"--out {fifo} is a FIFO (named pipe), not a folder; give a folder path"


def test_streams_read_stdin_and_pipes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``streams=True``: ``-`` is standard input, a pipe is read as it comes; without it both are refused."""
    import io
    import sys
    import threading

    class Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Stdin(io.BytesIO("\ufeffa\nb\n".encode())))
    assert read_text("-", "--file", "text", streams=True) == "a\nb\n"
    fifo = _fifo(tmp_path)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"x" * (3 << 20) + b"\ny\n"))
    writer.start()
    assert read_text(fifo, "--file", "text", streams=True).endswith("x\ny\n")  # over several 1 MiB blocks
    writer.join()
    with pytest.raises(DataError, match="is a FIFO"):
        read_text(fifo, "--file", "text")  # one-pass only where the caller says so
    with pytest.raises(DataError, match="not found"):
        read_text("-", "--file", "text")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("tty", "standard input is a terminal; pipe the text in"),
        ("empty", "--file - is empty"),
        ("zero", "holds NUL bytes: it is binary data, not text"),
        ("big", "holds over"),
    ],
)
def test_stream_errors_are_one_line(source: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = {"tty": b"a\n", "empty": b"", "zero": b"\x00" * 100, "big": b"a\n" * (3 << 19)}[source]

    class Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return source == "tty"

    monkeypatch.setattr(sys, "stdin", Stdin(io.BytesIO(data)))
    with pytest.raises(DataError, match=message) as info:
        read_text("-", "--file", "text", max_bytes=2 << 20, streams=True)
    assert "\n" not in str(info.value)


def test_output_dir_with_a_marker_refuses_only_a_folder_of_other_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert check_output_dir(run, "--out", marker="bundle.json") == run  # new
    run.mkdir()
    assert check_output_dir(run, "--out", marker="bundle.json") == run  # empty
    (run / "notes.txt").write_text("mine")
    assert check_output_dir(run, "--out") == run  # no marker: not checked
    with pytest.raises(ConfigError, match=r"--out .*run holds files but no bundle.json.*new or empty folder"):
        check_output_dir(run, "--out", marker="bundle.json")
    (run / "bundle.json").write_text("{}")
    assert check_output_dir(run, "--out", marker="bundle.json") == run  # an earlier output: replaced
    assert (run / "notes.txt").read_text() == "mine"


PSEUDO = [p for p in ("/sys/a.png", "/sys/kernel/x.png", "/proc/x.csv") if Path(p).parent.is_dir()]


@pytest.mark.skipif(not PSEUDO, reason="no /sys or /proc (not Linux)")
@pytest.mark.parametrize("path", PSEUDO)
def test_outputs_on_pseudo_file_systems_are_refused_even_as_root(path: str) -> None:
    """sysfs and procfs are writable mounts where no file can be created; root passes os.access there, so
    before, the check accepted them and the command failed only at its write, after all its work."""
    parent = Path(path).parent
    with pytest.raises(ConfigError, match=rf"^-o {path}: cannot create or write in {parent} \(.+\); choose"):
        check_output_file(path, "-o")
    with pytest.raises(ConfigError, match=rf"^--out {path}/run: cannot create or write in {parent} "):
        check_output_dir(Path(path) / "run", "--out")


def test_the_write_probe_leaves_nothing_and_special_files_still_pass(tmp_path: Path) -> None:
    assert creatable_in(tmp_path) is None
    assert check_output_file(tmp_path / "x.csv", "-o") == tmp_path / "x.csv"
    assert list(tmp_path.iterdir()) == []  # the probe file was removed
    for special in ("/dev/null", "/dev/stdout"):
        assert check_output_file(special, "-o") == Path(special)  # written in place, never probed


def test_a_closed_stdin_is_named_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``nlp sentiment predict --file - <&-``: Python leaves sys.stdin None, and main's error said
    'standard input is a terminal'."""
    import sys

    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(DataError, match="--file -: standard input is closed; pipe the text in"):
        read_text("-", "--file", "text", streams=True)


def test_a_folder_given_for_a_file_says_what_it_holds(tmp_path: Path) -> None:
    """Every folder was told "give the file inside it", a folder of several files or of none too: it now
    names its one file, or the count and the first three (hidden files and sub-folders left out)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / ".x").write_text("x")
    with pytest.raises(DataError) as none:
        check_input_file(tmp_path, "--in", "CSV")
    assert str(none.value) == f"--in {tmp_path} is a folder, not a CSV file; give the path of a CSV file"
    (tmp_path / "b.csv").write_text("x")
    with pytest.raises(DataError, match=r"folder, not a CSV file; give the file inside it, .*b\.csv$"):
        check_input_file(tmp_path, "--in", "CSV")
    (tmp_path / "a.csv").write_text("x")
    with pytest.raises(
        DataError, match=r"is a folder of 2 files \(a\.csv, b\.csv\), not a CSV file; give a "
    ):
        check_input_file(tmp_path, "--in", "CSV")
