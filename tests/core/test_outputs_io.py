"""Atomic outputs: umask modes, special files written in place, whole folders, clear errors."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from carrousel.core import folder_swap
from carrousel.core.atomic import atomic_dir, atomic_path, atomic_write_bytes, atomic_write_text, is_special
from carrousel.core.errors import OutputError


@pytest.fixture
def umask_027():  # type: ignore[no-untyped-def]
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_new_file_gets_the_umask_mode(tmp_path: Path, umask_027: None) -> None:
    atomic_write_text(tmp_path / "a.txt", "x")
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640


def test_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("old")
    path.chmod(0o604)
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


def test_dev_null_is_written_in_place_not_replaced() -> None:
    before = os.stat("/dev/null")
    atomic_write_text("/dev/null", "hello")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert is_special("/dev/null")


def test_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomic_write_bytes(fifo, b"through the pipe")
    reader.join(timeout=10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_symlink_target_is_replaced_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_folder_as_target_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a folder"):
        atomic_write_text(tmp_path, "x")


def test_read_only_folder_names_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root writes anywhere, so the read-only folder is simulated where the temp file is created."""
    import tempfile

    def denied(*args: object, dir: str = "", **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(dir, ".a.txt.123.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match=rf"cannot write {tmp_path / 'a.txt'} \(Permission denied\)"):
        atomic_write_text(tmp_path / "a.txt", "x")


def test_full_disk_removes_the_temp_and_names_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(OutputError, match=f"cannot write {target}"), atomic_path(target):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_interrupt_removes_the_temp(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "x") as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_all_or_nothing(tmp_path: Path, umask_027: None) -> None:
    run = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_dir(run) as tmp:
        (tmp / "run.json").write_text("{}")
        raise RuntimeError("failed mid-run")
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(run) as tmp:
        (tmp / "run.json").write_text("{}")
    assert (run / "run.json").read_text() == "{}"
    assert stat.S_IMODE(run.stat().st_mode) == 0o750
    with atomic_dir(run) as tmp:
        (tmp / "other.json").write_text("[]")
    assert sorted(p.name for p in run.iterdir()) == ["other.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_atomic_dir_finishing_after_a_concurrent_writer_wins_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    """Two runs to one folder: the other one renames its folder in between this run's check and rename.
    The last writer wins whole (its folder swapped in, the other's removed); with the atomic exchange or
    without it (before: "written by another run at the same time", this run's output lost)."""
    run, real_rename = tmp_path / "run", os.rename
    if not exchange:
        monkeypatch.setitem(folder_swap._SYSCALL, "fn", None)

    def rename(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == run and not run.exists():  # the other run finishes first
            (tmp_path / "other").mkdir()
            (tmp_path / "other" / "run.json").write_text("other")
            real_rename(tmp_path / "other", run)
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with atomic_dir(run) as tmp:
        (tmp / "run.json").write_text("mine")
    assert (run / "run.json").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_atomic_dir_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="not a folder"), atomic_dir(tmp_path / "f"):
        pass


def test_sigkill_leftovers_are_swept_by_the_next_write(tmp_path: Path) -> None:
    """A writer killed with SIGKILL cannot clean up; the next write of the same target removes its
    temporaries (dead pid), never a live writer's, and the target itself was never partial."""
    import signal
    import subprocess
    import sys

    target = tmp_path / "model.safetensors"
    target.write_text("old complete")
    code = (
        "import sys, time; from carrousel.core.atomic import atomic_path, atomic_dir\n"
        f"with atomic_path({str(target)!r}) as tmp, atomic_dir({str(tmp_path / 'run')!r}) as d:\n"
        "    tmp.write_text('partial'); (d / 'run.json').write_text('{'); print('ready', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert len(leftovers) == 2 and all(str(proc.pid) in name for name in leftovers)
    assert target.read_text() == "old complete" and not (tmp_path / "run").exists()
    live = tmp_path / f".model.safetensors.{os.getpid()}.live.tmp"
    live.write_text("a live writer's")
    atomic_write_text(target, "new")
    with atomic_dir(tmp_path / "run") as d:
        (d / "run.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.safetensors", "run", live.name])
