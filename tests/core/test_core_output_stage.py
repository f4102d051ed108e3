"""core's staged_outputs: the files (and folders) a block writes atomically are put in place together when
it succeeds, and none when it raises (a full disk at the second, Ctrl-C): the earlier ones are kept."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from carrousel.core.atomic import atomic_dir, atomic_path, atomic_write_text
from carrousel.core.errors import OutputError
from carrousel.core.output_stage import staged_outputs


def _earlier(tmp_path: Path) -> tuple[Path, Path, Path]:
    a, b, d = tmp_path / "a.txt", tmp_path / "b.png", tmp_path / "run"
    a.write_text("earlier a")
    b.write_text("earlier b")
    d.mkdir()
    (d / "x").write_text("earlier x")
    return a, b, d


@pytest.mark.parametrize("fault", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_second_write_keeps_every_earlier_output(tmp_path: Path, fault: BaseException) -> None:
    a, b, d = _earlier(tmp_path)
    with pytest.raises((OutputError, KeyboardInterrupt)), staged_outputs():
        atomic_write_text(a, "new a")
        with atomic_dir(d) as tmp:
            (tmp / "x").write_text("new x")
        assert a.read_text() == "earlier a"  # held back until the block ends
        with atomic_path(b) as tmp, open(tmp, "w") as fh:
            fh.write("half")
            raise fault
    assert (a.read_text(), b.read_text(), (d / "x").read_text()) == ("earlier a", "earlier b", "earlier x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.png", "run"]  # no temporaries


def test_a_block_that_succeeds_puts_every_output_in_place(tmp_path: Path) -> None:
    a, b, d = _earlier(tmp_path)
    with staged_outputs():
        atomic_write_text(a, "new a")
        with staged_outputs():  # an inner block joins the outer one
            atomic_write_text(b, "new b")
        assert b.read_text() == "earlier b"
        with atomic_dir(d) as tmp:
            (tmp / "x").write_text("new x")
    assert (a.read_text(), b.read_text(), (d / "x").read_text()) == ("new a", "new b", "new x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.png", "run"]


def test_a_rename_that_fails_at_the_block_end_says_what_atomic_path_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = _earlier(tmp_path)
    real = os.replace

    def full(src: object, dst: object) -> None:
        if Path(str(dst)) == a:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError) as caught, staged_outputs():
        atomic_write_text(a, "new a")
        atomic_write_text(b, "new b")
    assert str(caught.value) == (  # the words of an unstaged write (test_storage_races), not a shorter twin
        f"cannot write {a} (No space left on device); choose a writable path with free space"
    )
    assert (a.read_text(), b.read_text()) == ("earlier a", "earlier b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.png", "run"]  # no temporaries
