"""``nlp sentiment predict --file`` reads a Latin-1/Windows-1252 file as ``--data`` is read (before: refused
while the same texts as training or evaluation data were read with a warning), through core's one
encoding helper; a command-line text with bytes that are not UTF-8 is a usage error naming the option
(before: ``generate --prompt`` said "check the file's encoding", there being no file, and ``sentiment
predict TEXT`` an internal error). A ``--data`` file's encoding is judged on its first 16 MB, read alone
and not cutting a UTF-8 character in two; now judged whole, in pieces."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from carrousel.core.cli_values import text_problem
from carrousel.nlp.data import read_lines
from tests.nlp.conftest import Run

_LATIN1 = "café au lait was a naïve delight\nthe crème brûlée was awful\n".encode("latin-1")


def test_predict_file_reads_latin1_as_the_data_reader_does(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_bytes(_LATIN1)
    done = nlp("sentiment", "predict", "--file", str(texts), "--json")
    assert done.returncode == 0, done.stderr
    shown = [p["text"] for p in json.loads(done.stdout)["predictions"]]
    assert shown == _LATIN1.decode("cp1252").splitlines()
    assert f"--file {texts} is not UTF-8; reading it as Windows-1252" in " ".join(done.stderr.split())
    data = tmp_path / "data.csv"  # the same texts as labelled data: read alike, with the same warning
    data.write_bytes(b"text,label\n" + b"".join(t + b",positive\n" for t in _LATIN1.splitlines()))
    scored = nlp("sentiment", "evaluate", "--data", str(data), "--json")
    assert scored.returncode == 0 and json.loads(scored.stdout)["rows"] == 2
    assert f"{data} is not UTF-8; reading it as Windows-1252" in " ".join(scored.stderr.split())
    assert read_lines(texts) == shown  # translate run --file alike


def test_a_text_argument_that_is_not_utf8_is_a_usage_error(
    nlp: Callable[..., Run], lm_model: Path, sentiment_model: Path
) -> None:
    latin1 = b"caf\xe9".decode("utf-8", "surrogateescape")  # as Python passes such an argv entry
    done = nlp("generate", "--model", str(lm_model), "--prompt", latin1, "--max-tokens", "3")
    assert done.returncode == 2, done.stderr
    line = " ".join(done.stderr.split())
    assert "'--prompt': 'caf\\xe9' holds bytes that are not UTF-8; give the text in UTF-8" in line
    assert "file" not in line
    done = nlp("sentiment", "predict", "--model", str(sentiment_model), latin1)
    assert done.returncode == 2 and "holds bytes that are not UTF-8" in done.stderr
    assert "internal error" not in done.stderr
    assert text_problem("café") is None and text_problem(Path(latin1)) is None  # paths are not texts


def test_data_encoding_is_judged_in_pieces_to_the_end(tmp_path: Path) -> None:
    """A 48 MB data file (sparse: NUL bytes, UTF-8, a line end every MB) is judged whole, in pieces: a
    Latin-1 byte at 20 MB makes it Windows-1252 line by line (before: UTF-8 as its first 16 MB said, and the
    loader failed on the byte), and no more than a piece and its decoding is held (before the pieces: 64 MB,
    48 read and 16 cut); a clean one (a single 48 MB line) is UTF-8, not held whole either."""
    import tracemalloc

    from carrousel.nlp.data_encoding import BY_LINE
    from carrousel.nlp.data_encoding import data_encoding as _encoding_of

    for name, byte, expected, step in (("big.csv", b"\xe9", BY_LINE, 1), ("clean.csv", b"e", "utf-8", 48)):
        big = tmp_path / name
        with open(big, "wb") as fh:
            fh.write(b"text,label\n")
            for mb in range(step, 49, step):
                fh.seek((mb << 20) - 1)
                fh.write(b"\n")
            fh.seek(20 << 20)
            fh.write(byte)
        tracemalloc.start()
        try:
            assert _encoding_of(big) == expected, name
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < (40 << 20), (name, peak)
    small = tmp_path / "small.csv"
    small.write_bytes(b"text,label\n" + _LATIN1.splitlines()[0] + b",pos\n")
    assert _encoding_of(small) == BY_LINE  # a Latin-1 byte within the first 16 MB decides (line by line)


def test_a_utf8_character_cut_by_the_16_mb_head_is_still_utf8(tmp_path: Path) -> None:
    """A UTF-8 data file whose ``é`` straddles the 16 MB mark is UTF-8 (before: its head ended in half a
    character and the file was read as Windows-1252, with a warning); a Latin-1 ``é`` there, followed by
    ASCII, still makes it Windows-1252."""
    from carrousel.nlp.data_encoding import BY_LINE
    from carrousel.nlp.data_encoding import data_encoding as _encoding_of

    for name, char, expected in (("utf8.csv", "é".encode(), "utf-8"), ("latin1.csv", b"\xe9", BY_LINE)):
        path = tmp_path / name
        with open(path, "wb") as fh:
            fh.write(b"text,label\n")
            fh.seek((16 << 20) - 1)
            fh.write(char + b" the rest,pos\n")
        assert _encoding_of(path) == expected, name
