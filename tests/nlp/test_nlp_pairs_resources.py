"""Too many open files (EMFILE) while ``nlp translate train --pairs`` reads a TMX/XLIFF file or a gettext
catalogue is not the file's fault: on main the readers said "<file> cannot be read ([Errno 24] Too many
open files: ...); give a readable ... file". The OSError now goes on as it came, so the CLI's one line
names the limit and ``ulimit -n``; any other read error keeps the reader's line."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.parallel import read_pairs
from tests.cli_harness import Outcome
from tests.nlp.test_nlp_translate_tmx_xliff import tmx
from tests.open_faults import fail_opens, names_the_limit

UNITS = [{"en": "good morning", "de": "guten Morgen"}, {"en": "thank you", "de": "danke"}]
PO = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "thank you"\nmsgstr "danke"\n'


def _pairs(tmp_path: Path, kind: str) -> Path:
    if kind == "tmx":
        return tmx(tmp_path / "p.tmx", UNITS)
    (p := tmp_path / "de.po").write_text(PO, encoding="utf-8")
    return p


@pytest.mark.parametrize("kind", ["tmx", "po"])
def test_pairs_read_out_of_descriptors_names_the_limit(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    source = _pairs(tmp_path, kind)
    fail_opens(monkeypatch, source, errno.EMFILE)
    out = tmp_path / "m"
    outcome = invoke("nlp", "translate", "train", "--pairs", source, "-o", out)
    names_the_limit(outcome, source, fix="give a readable")
    assert not out.exists()
    fail_opens(monkeypatch, source, errno.EIO)  # any other read error (a failing disk) keeps its line
    fix = "give a readable (gzip-compressed) file" if kind == "tmx" else "give a readable file"
    cause = OSError(errno.EIO, os.strerror(errno.EIO), os.fspath(source))
    with pytest.raises(TextDataError) as info:
        read_pairs([source], "en", "de")
    assert str(info.value) == f"{source} cannot be read ({cause}); {fix}"
