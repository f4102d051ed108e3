"""``save_module`` / ``load_module`` folders written and read whole, as bundles are.

``load_module`` read ``config.json`` by path and then the weights by path: a folder another run replaced
in between gave the old config with the new weights (same shapes: loaded without a word). ``save_module``
wrote the weights, then the config, into the folder: a crash or Ctrl-C between the two left the new
weights beside the old config. Each test here fails on main.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import torch

import carrousel.core.io as core_io
from carrousel.core.bundle import Bundle, load_bundle, pinned_bundles
from carrousel.core.errors import BundleError, CheckpointError, OutputError
from carrousel.core.io import CONFIG_FILE, WEIGHTS_FILE, load_module, read_config, save_module
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from tests.folder_swaps import swapped_in_by_another_run


def _module(v: int) -> SequenceClassifier:
    """Version ``v``: its dropout is ``v / 10`` and every weight is ``v`` (the shapes are the same)."""
    net = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(3, 4), num_classes=2, dropout=v / 10))
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(float(v))
    return net


def _version(m: torch.nn.Module) -> tuple[int, int]:
    """The version the loaded config says and the one its weights say."""
    return round(m.config.dropout * 10), int(next(m.parameters()).flatten()[0].item())  # type: ignore[union-attr]


def _replaced_by_another_run(target: Path, v: int) -> None:
    swapped_in_by_another_run(save_module(_module(v), target.parent / f".new{v}", extra={"v": v}), target)


def test_a_folder_replaced_between_the_reads_loads_as_one_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run replaces the folder once the config is parsed (before: config 1 with weights 2)."""
    folder = save_module(_module(1), tmp_path / "m")
    real, swaps = core_io.registered_config, []

    def swap_then(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        if not swaps:
            swaps.append(1)
            _replaced_by_another_run(folder, 2)
        return out

    monkeypatch.setattr(core_io, "registered_config", swap_then)
    assert _version(load_module(folder)) == (1, 1) and swaps == [1]
    assert _version(load_module(folder)) == (2, 2)


def test_a_folder_replaced_while_its_files_are_read_is_read_again_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap lands between the two files: the old folder's weights are gone with it, so the new
    folder is read, both files of it."""
    folder = save_module(_module(1), tmp_path / "m")
    real, swaps = core_io.open_at, []

    def swap_before_weights(root, fd, name):  # type: ignore[no-untyped-def]
        if name == WEIGHTS_FILE and not swaps:  # config.json of version 1 is read
            swaps.append(1)
            _replaced_by_another_run(folder, 2)
        return real(root, fd, name)

    monkeypatch.setattr(core_io, "open_at", swap_before_weights)
    assert _version(load_module(folder)) == (2, 2) and swaps == [1]


def test_an_interrupted_save_keeps_the_earlier_folder_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C once the weights are written, before the config: the earlier save loads as it was (before:
    the new weights beside the old config) and no temporary folder is left."""
    folder = save_module(_module(1), tmp_path / "m", extra={"v": 1})

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(core_io, "atomic_write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_module(_module(2), folder, extra={"v": 2})
    monkeypatch.undo()
    assert _version(load_module(folder)) == (1, 1) and read_config(folder)["extra"] == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]


def test_a_folder_of_other_files_is_refused_not_replaced(tmp_path: Path) -> None:
    """The folder is now replaced as a whole, so one that is not an earlier save is refused (its files
    would be lost); an earlier save is replaced with everything in it."""
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match=r"holds files but no config\.json.*give a new or empty folder"):
        save_module(_module(1), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    folder = save_module(_module(1), tmp_path / "m")
    (folder / "stale.txt").write_text("x")
    save_module(_module(2), folder)
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]
    assert _version(load_module(folder)) == (2, 2)


def test_inside_pinned_bundles_a_module_folder_is_read_once(tmp_path: Path) -> None:
    """As a bundle's: another run's replacement is not seen until the block ends, this process's own save
    is; a bundle folder and a module folder do not answer for each other."""
    folder = save_module(_module(1), tmp_path / "m", extra={"v": 1})
    with pinned_bundles():
        assert _version(load_module(folder)) == (1, 1)
        _replaced_by_another_run(folder, 2)
        assert _version(load_module(folder)) == (1, 1) and read_config(folder)["extra"] == {"v": 1}
        save_module(_module(3), folder)
        assert _version(load_module(folder)) == (3, 3)
        Bundle("test.io", _module(4)).save(tmp_path / "b")
        assert _version(load_bundle(tmp_path / "b").model) == (4, 4)
        with pytest.raises(CheckpointError, match=r"it holds bundle\.json: load it with"):
            load_module(tmp_path / "b")
        with pytest.raises(BundleError, match=r"holds no bundle\.json"):
            load_bundle(folder)
    assert _version(load_module(folder)) == (3, 3)


def _fds_under(folder: Path) -> int:
    """This process's descriptors open on files under ``folder`` (only the test's own: see test_bundle_pins)."""
    inside, count = os.path.realpath(folder) + os.sep, 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used is closed by now
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(inside)
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's descriptors in /proc")
def test_pinned_module_folders_keep_small_weights_as_bytes_not_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside ``pinned_bundles`` (every command) each ``load_module`` folder kept its weights file open
    until the block ended, however small: one descriptor per folder (a thousand folders meet a
    ``ulimit -n 1024``), where a bundle keeps a small file's bytes. Now the same rule: bytes for
    weights up to KEEP_BYTES, read as first read after another run replaced the folder; larger ones open."""
    folders = [save_module(_module(1), tmp_path / f"m{i}") for i in range(3)]
    with pinned_bundles():
        assert [_version(load_module(f)) for f in folders] == [(1, 1)] * 3
        assert _fds_under(tmp_path) == 0  # before: 3
        _replaced_by_another_run(folders[0], 2)
        assert _version(load_module(folders[0])) == (1, 1)
    # larger weights: kept open, as a bundle's, until the end
    monkeypatch.setattr("carrousel.core.bundle_pins.KEEP_BYTES", 0)
    with pinned_bundles():
        assert _version(load_module(folders[1])) == (1, 1) and _fds_under(tmp_path) == 1
        _replaced_by_another_run(folders[1], 2)
        assert _version(load_module(folders[1])) == (1, 1)
    assert _fds_under(tmp_path) == 0


def test_a_config_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    """A folder in the place of config.json was IsADirectoryError from inside pathlib."""
    folder = save_module(_module(1), tmp_path / "m")
    (folder / CONFIG_FILE).unlink()
    (folder / CONFIG_FILE).mkdir()
    with pytest.raises(CheckpointError, match=r"config\.json cannot be read \(IsADirectoryError\); check it"):
        load_module(folder)


@pytest.mark.parametrize("config", ['{"lr": 0.1, "data": "prices.csv"}', "not json", '{"format": "other"}'])
def test_a_folder_whose_config_json_another_program_wrote_is_refused_not_deleted(
    tmp_path: Path, config: str
) -> None:
    """The folder is replaced as a whole, and ``config.json`` is a common name (a run's settings, a Hugging
    Face model): only one that save_module wrote marks an earlier save. Merged main took any config.json as
    one and deleted the folder's other files (prices.csv, results/) without a word."""
    (tmp_path / CONFIG_FILE).write_text(config)
    (tmp_path / "prices.csv").write_text("a,b\n")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "run1.txt").write_text("x")
    with pytest.raises(
        OutputError, match=r"holds a config\.json that save_module did not write.*new or empty"
    ):
        save_module(_module(1), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CONFIG_FILE, "prices.csv", "results"]
    assert (tmp_path / CONFIG_FILE).read_text() == config


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_saved_files_take_the_umasks_mode(tmp_path: Path, umask: int) -> None:
    """Regular files get the umask's mode: safetensors' save_file renames its own 0600 temporary file into
    place, so model.safetensors was 0600 beside a 0644 config.json (another user could read the settings of
    a model whose weights they could not load)."""
    import os
    import stat

    old = os.umask(umask)
    try:
        folder = save_module(_module(1), tmp_path / "m")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes == {name: 0o666 & ~umask for name in modes}
    assert _version(load_module(folder)) == (1, 1)
