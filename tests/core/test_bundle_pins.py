"""A command that reads a model folder twice while another run replaces it: both reads see one model.

``load_bundle`` reads a folder as one snapshot, but a command that reads the folder again (the manifest
for a default, then the model; the model, then its provenance by path; the model, then a score by path)
met the old folder once and the new one the other time: the old training split with the new network, the
new provenance saved with the old weights, without a word. Inside every command (and
``pinned_bundles()``) the second read gives the first read's files.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from carrousel.core import cli
from carrousel.core.atomic import atomic_dir
from carrousel.core.bundle import Bundle, load_bundle, read_manifest
from carrousel.core.errors import BundleError
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
from tests.folder_swaps import swapped_in_by_another_run

CFG = SequenceRegressorConfig(RecurrentConfig(3, 8), out_features=1)


def _bundle(v: int) -> Bundle:
    """Version ``v``: every weight, the asset, the provenance and the asset file all say ``v``."""
    net = SequenceRegressor(CFG)
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(float(v))
    return Bundle("test.pins", net, assets={"v": v}, files={"tok.txt": str(v).encode()}, data={"v": v})


def _version(b: Bundle) -> tuple[int, int, int, str]:
    weight = int(next(b.model.parameters()).flatten()[0].item())
    return b.assets["v"], b.data["v"], weight, b.files["tok.txt"].decode()


def _replaced_by_another_run(target: Path, v: int) -> None:
    """Another process puts version ``v`` in the place of ``target``: not this process's own save (which
    would tell this process that the folder changed), only renames of folders."""
    swapped_in_by_another_run(_bundle(v).save(target.parent / f".new{v}"), target)


# the reads a command made of one folder: manifest then model (nlp generate evaluate's split, finance's
# saved settings), model then manifest (speech export's provenance), model then model (a score by path)
READS = {
    "manifest-then-model": (lambda f: read_manifest(f)["data"]["v"], lambda f: _version(load_bundle(f))[2]),
    "model-then-manifest": (lambda f: _version(load_bundle(f))[2], lambda f: read_manifest(f)["data"]["v"]),
    "model-then-model": (lambda f: _version(load_bundle(f))[2], lambda f: _version(load_bundle(f))[2]),
}


def _toy_app(folder: Path, first, second) -> typer.Typer:  # type: ignore[no-untyped-def]
    app = cli.create_app("toy", "A toy.", "toy 1.0")

    @cli.command(app)
    def use() -> None:
        """Reads the model folder twice; another run replaces it in between."""
        before = first(folder)
        _replaced_by_another_run(folder, 2)
        cli.echo(f"{before} {second(folder)}")

    @cli.command(app)
    def other() -> None:
        """A second command, so that typer keeps the names."""

    return app


@pytest.mark.parametrize("reads", sorted(READS))
def test_a_command_reads_a_replaced_model_folder_as_one_model(tmp_path: Path, reads: str) -> None:
    """Both reads of the folder inside one command give version 1 (before: '1 2', a silent mix)."""
    folder = _bundle(1).save(tmp_path / "m")
    result = CliRunner().invoke(_toy_app(folder, *READS[reads]), ["use"])
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["1", "1"]
    assert _version(load_bundle(folder)) == (2, 2, 2, "2")  # the next command reads the new folder


def test_outside_a_command_each_load_reads_the_folder_now(tmp_path: Path) -> None:
    """A Python caller outside pinned_bundles reads the folder as it is at each call; inside, each folder
    once (nested uses share the outer one), and a folder swapped under it still reads whole."""
    from carrousel.core.bundle import pinned_bundles

    folder = _bundle(1).save(tmp_path / "m")
    assert _version(load_bundle(folder)) == (1, 1, 1, "1")
    _replaced_by_another_run(folder, 2)
    assert _version(load_bundle(folder)) == (2, 2, 2, "2")
    with pinned_bundles():
        assert read_manifest(folder, kind="test.pins")["data"] == {"v": 2}
        _replaced_by_another_run(folder, 3)
        with pinned_bundles():
            assert _version(load_bundle(folder)) == (2, 2, 2, "2")
        with pytest.raises(BundleError, match=r"kind test\.pins, not other"):
            load_bundle(folder, kind="other")  # the kind is still checked on every read
    assert _version(load_bundle(folder)) == (3, 3, 3, "3")


def test_a_folder_this_process_replaces_is_read_again(tmp_path: Path) -> None:
    """The command's own save (Bundle.save, or atomic_dir over the run folder that holds the model) is
    read back as written, not as the folder was first read."""
    from carrousel.core.bundle import pinned_bundles

    folder = _bundle(1).save(tmp_path / "m")
    run_model = _bundle(1).save(tmp_path / "run" / "model")
    with pinned_bundles():
        assert _version(load_bundle(folder))[0] == 1 and _version(load_bundle(run_model))[0] == 1
        _bundle(2).save(folder)
        assert _version(load_bundle(folder)) == (2, 2, 2, "2")
        with atomic_dir(tmp_path / "run") as tmp:
            _bundle(3).save(tmp / "model")
        assert _version(load_bundle(run_model)) == (3, 3, 3, "3")


def _open_fds(folder: Path) -> int:
    """This process's descriptors open on files under ``folder`` (the test's own: under pytest-xdist another
    test's file, closed when the garbage collector gets to it, changed a count of all of /proc/self/fd)."""
    inside = os.path.realpath(folder) + os.sep
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used is closed by now
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(inside)
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's descriptors in /proc")
def test_a_pin_keeps_the_files_open_not_their_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_manifest inside a command kept every file's bytes until the command ended, so the weights were
    in memory twice once loaded (the pinned bytes and the network). The pin now holds the manifest and an
    open descriptor of each file over KEEP_BYTES (closed when the block ends; 0 here: every file): a folder
    another run replaced (its files removed) still reads as first read; a file written over in place is an
    error, not a mix."""
    from carrousel.core.bundle import pinned_bundles
    from carrousel.core.bundle_pins import pinned

    monkeypatch.setattr("carrousel.core.bundle_pins.KEEP_BYTES", 0)  # every file kept open
    folder = _bundle(1).save(tmp_path / "m")
    before = _open_fds(tmp_path)
    with pinned_bundles():
        assert read_manifest(folder)["data"] == {"v": 1}
        held = pinned(folder)
        assert held is not None and not any(isinstance(v, bytes) for v in held[1].values())
        assert _open_fds(tmp_path) == before + 2  # model.safetensors and assets/tok.txt (not the manifest)
        _replaced_by_another_run(folder, 2)
        assert _version(load_bundle(folder)) == (1, 1, 1, "1")
    assert _open_fds(tmp_path) == before
    with pinned_bundles():
        load_bundle(folder)
        weights = folder / "model.safetensors"
        with open(weights, "r+b") as fh:  # written over in place (cp onto it), not replaced as a whole
            fh.write(b"x")
        with pytest.raises(BundleError, match=r"model\.safetensors was written over while this command ran"):
            load_bundle(folder)
    assert _open_fds(tmp_path) == before


def test_a_same_size_overwrite_with_its_mtime_put_back_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cp -p`` or ``rsync --inplace -t`` onto a pinned file: same size, mtime put back. The pin compared
    size and mtime only, so the second load returned the overwritten bytes without a word; the ctime (which
    a user cannot set back) now tells. A read of the file, or another file replaced or removed beside it, is
    no write: the second load still reads the first files. (Files kept open: over KEEP_BYTES, 0 here.)"""
    from carrousel.core.bundle import pinned_bundles

    monkeypatch.setattr("carrousel.core.bundle_pins.KEEP_BYTES", 0)

    folder = _bundle(1).save(tmp_path / "m")
    weights = folder / "model.safetensors"
    with pinned_bundles():
        load_bundle(folder)
        weights.read_bytes()  # a plain re-read, and other files replaced and removed: no false alarm
        (folder / "assets" / "new.txt").write_text("2")
        os.replace(folder / "assets" / "new.txt", folder / "assets" / "tok.txt")  # the kept one: unlinked
        assert _version(load_bundle(folder)) == (1, 1, 1, "1")
    folder = _bundle(1).save(tmp_path / "m2")
    weights = folder / "model.safetensors"
    with pinned_bundles():
        load_bundle(folder)
        before = os.stat(weights)
        data = bytearray(weights.read_bytes())
        data[-1] ^= 0xFF  # same size, one byte changed
        with open(weights, "r+b") as fh:
            fh.write(data)
        os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))  # the mtime put back (cp -p)
        after = os.stat(weights)
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        with pytest.raises(
            BundleError, match=r"model\.safetensors was written over while this command ran"
        ) as err:
            load_bundle(folder)
        assert "\n" not in str(err.value)


def _with_parts(v: int) -> Bundle:
    """Version ``v`` with arrays and three asset files: five files besides the manifest."""
    files = {name: str(v).encode() for name in ("tok.txt", "vocab.txt", "merges.txt")}
    return Bundle(
        "test.pins",
        _bundle(v).model,
        assets={"v": v},
        arrays={"a": np.full(3, v)},
        files=files,
        data={"v": v},
    )


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's descriptors in /proc")
def test_a_pin_keeps_small_files_as_bytes_and_at_most_the_weights_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pin held one descriptor per listed file: 5 for a bundle with arrays and three assets, so a command
    loading a few hundred models ran out of descriptors (203 under ``ulimit -n 1024``). A file of at most
    KEEP_BYTES is now kept as its bytes (its descriptor closed), a larger one open: 0 descriptors for a
    small bundle, 1 (the weights) for one whose weights are larger. Both still read as first read after
    another run replaced the folder, and a small file written over in place reads as first read."""
    from carrousel.core.bundle import pinned_bundles
    from carrousel.core.bundle_pins import KEEP_BYTES

    assert KEEP_BYTES == 1 << 20
    small = _with_parts(1).save(tmp_path / "small")
    large = _with_parts(1).save(tmp_path / "large")
    weights = (large / "model.safetensors").stat().st_size
    before = _open_fds(tmp_path)
    with pinned_bundles():
        assert _version(load_bundle(small)) == (1, 1, 1, "1")
        assert _open_fds(tmp_path) == before  # was before + 5
        with monkeypatch.context() as patched:
            patched.setattr("carrousel.core.bundle_pins.KEEP_BYTES", weights - 1)  # only the weights over it
            assert _version(load_bundle(large)) == (1, 1, 1, "1")
        assert _open_fds(tmp_path) == before + 1  # the weights
        with open(small / "assets" / "tok.txt", "r+b") as fh:  # a small file written over in place
            fh.write(b"9")
        assert _version(load_bundle(small)) == (1, 1, 1, "1")  # its bytes as first read: no mix, no error
        _replaced_by_another_run(small, 2)
        _replaced_by_another_run(large, 2)
        for folder in (small, large):
            assert _version(load_bundle(folder)) == (1, 1, 1, "1")
            assert read_manifest(folder)["data"] == {"v": 1}
    assert _open_fds(tmp_path) == before


@pytest.mark.skipif(not hasattr(os, "sysconf"), reason="POSIX resource limits")
def test_a_command_loads_more_models_than_its_descriptor_limit_allows_files(tmp_path: Path) -> None:
    """60 models of five files each (300 descriptors kept before) loaded in one command under a limit of
    about 100 open files: EMFILE ("too many open files") before, now every model loads."""
    import resource

    from carrousel.core.bundle import pinned_bundles

    folders = [_with_parts(i % 3).save(tmp_path / f"m{i}") for i in range(60)]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = len(os.listdir("/proc/self/fd")) + 100 if os.path.isdir("/proc/self/fd") else 256
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))
    try:
        with pinned_bundles():
            loaded = [load_bundle(f).assets["v"] for f in folders]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert loaded == [i % 3 for i in range(60)]
