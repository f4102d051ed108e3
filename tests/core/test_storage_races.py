"""Storage failures around output folders: a full disk, a reader while another run replaces a model,
Ctrl-C or a kill between the renames of a folder replacement (session 37's storage sweep)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import torch

import carrousel.core.bundle as core_bundle
from carrousel.core.atomic import atomic_dir, atomic_path, atomic_write_text
from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.errors import OutputError
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

CFG = SequenceRegressorConfig(RecurrentConfig(3, 8), out_features=1)


def _bundle(v: int) -> Bundle:
    """Version ``v``: every weight, the asset and the asset file all say ``v``."""
    net = SequenceRegressor(CFG)
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(float(v))
    return Bundle("test.race", net, assets={"v": v}, files={"tok.txt": str(v).encode() * 1000})


def _version(b: Bundle) -> tuple[int, float, str]:
    return b.assets["v"], next(b.model.parameters()).flatten()[0].item(), b.files["tok.txt"][:1].decode()


@pytest.mark.parametrize("hook", ["loads_finite", "registered_config"])
def test_a_model_replaced_while_loaded_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: str
) -> None:
    """Another run replaces the folder right after the manifest is parsed, or after the files were
    checked: the loader returns the old model or the new one, whole (before: a checksum error, or the old
    manifest and assets with the new weights, loaded without a word; 600 of 7,000 loads in a race)."""
    model = _bundle(1).save(tmp_path / "m")
    real = getattr(core_bundle, hook)
    swaps = {"n": 0}

    def swap_then(*args: object, **kwargs: object) -> object:
        out = real(*args, **kwargs)
        if swaps["n"] == 0:
            swaps["n"] += 1
            _bundle(2).save(model)
        return out

    monkeypatch.setattr(core_bundle, hook, swap_then)
    v, w, f = _version(load_bundle(model))
    assert swaps["n"] == 1 and (v, w, f) in ((1, 1.0, "1"), (2, 2.0, "2")), (v, w, f)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_replacing_a_folder_never_leaves_the_name_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader (or a kill) between the renames found no folder: 'model folder not found' (a killed run
    lost the old model: the next run swept it). The new folder is swapped in at once."""
    target = tmp_path / "m"
    _bundle(1).save(target)
    gaps: list[str] = []
    real_replace, real_rename = os.replace, os.rename

    def watch(real):  # type: ignore[no-untyped-def]
        def call(src: str | Path, dst: str | Path) -> None:
            real(src, dst)
            if not target.is_dir():
                gaps.append(f"{src} -> {dst}")

        return call

    monkeypatch.setattr(os, "replace", watch(real_replace))
    monkeypatch.setattr(os, "rename", watch(real_rename))
    _bundle(2).save(target)
    assert not gaps and _version(load_bundle(target)) == (2, 2.0, "2")


def test_ctrl_c_between_the_renames_keeps_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an atomic exchange the old folder is moved aside first; Ctrl-C before the new one took its
    place removed both (before: no model left at all)."""
    from carrousel.core import folder_swap

    monkeypatch.setitem(folder_swap._SYSCALL, "fn", None)  # no atomic exchange: the two renames
    target = tmp_path / "m"
    _bundle(1).save(target)
    real_replace = os.replace
    calls = {"n": 0}

    def interrupted(src: str | Path, dst: str | Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the new folder into place
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _bundle(2).save(target)
    monkeypatch.undo()
    assert _version(load_bundle(target)) == (1, 1.0, "1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_a_full_disk_names_the_output_not_a_temporary_name(tmp_path: Path) -> None:
    """ENOSPC while a folder's files were written: 'No space left on device; check the path...' named
    no path (bundle files), or the hidden temporary folder (a PNG written in it with atomic_path)."""
    out = tmp_path / "run"
    atomic_write_text(out / "kept.txt", "old")  # an earlier run's output, left untouched
    with pytest.raises(OutputError) as caught, atomic_dir(out) as tmp:
        (tmp / "a.csv").write_text("x")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert str(caught.value) == (
        f"cannot write {out} (No space left on device); choose a writable path with free space"
    )
    with pytest.raises(OutputError) as caught, atomic_dir(out) as tmp:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp / "fan.png"))
    assert f"cannot write {out / 'fan.png'} (No space left" in str(caught.value)

    def full(path: Path) -> None:
        with open(path, "w") as fh:
            fh.write("x")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError) as caught, atomic_dir(out) as tmp, atomic_path(tmp / "fan.png") as png:
        full(png)
    assert f"cannot write {out / 'fan.png'} (No space left" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left
    assert [p.name for p in out.iterdir()] == ["kept.txt"] and (out / "kept.txt").read_text() == "old"
