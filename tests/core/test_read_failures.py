"""Core's readers other than read_text (a saved module, a TOML config) and
:func:`carrousel.core.files_text.read_failure` itself: a read that fails for want of a resource (open
files, memory) goes on as the ``OSError`` it was, for the CLI's line naming the limit; any other keeps the
reader's own one line, worded as before."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import carrousel.core.io as core_io
from carrousel.core import cli
from carrousel.core.config import read_toml
from carrousel.core.errors import CheckpointError, ConfigError, DataError
from carrousel.core.files_text import RESOURCE_ERRNOS, read_failure
from carrousel.core.io import WEIGHTS_FILE, load_module, save_module
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from tests.open_faults import fail_opens


def _fail_saved_opens(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    """Every open of the saved folder's file ``name`` (by path or through the open folder) fails."""
    real = core_io.open_at

    def failing(root: Path, fd: int | None, rel: str) -> int:
        if rel == name:
            raise OSError(code, os.strerror(code), os.fspath(root / rel))
        return real(root, fd, rel)

    monkeypatch.setattr(core_io, "open_at", failing)


def test_a_saved_module_read_out_of_a_resource_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On main: CheckpointError '.../model.safetensors cannot be read (OSError); check it or save again' for
    too many open files and no memory too. Now those go on as they came; a refused open keeps the line."""
    net = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(3, 4), num_classes=2))
    folder = save_module(net, tmp_path / "m")
    weights = folder / WEIGHTS_FILE
    for code in (errno.EMFILE, errno.ENOMEM):
        _fail_saved_opens(monkeypatch, WEIGHTS_FILE, code)
        with pytest.raises(OSError) as info:
            load_module(folder)
        assert not isinstance(info.value, CheckpointError) and info.value.errno == code
        line = cli.error_line(info.value)
        assert line.startswith(f"{weights}: ") and "save again" not in line, line
    _fail_saved_opens(monkeypatch, WEIGHTS_FILE, errno.EACCES)
    with pytest.raises(CheckpointError) as refused:
        load_module(folder)
    assert str(refused.value) == f"{weights} cannot be read (PermissionError); check it or save again"


def test_a_toml_read_out_of_descriptors_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On main: ConfigError "path='...': cannot be read (Too many open files); check the path"."""
    conf = tmp_path / "c.toml"
    conf.write_text("a = 1\n")
    fail_opens(monkeypatch, conf, errno.EMFILE)
    with pytest.raises(OSError) as info:
        read_toml(conf)
    assert info.value.errno == errno.EMFILE and "ulimit -n" in cli.error_line(info.value)


def test_read_failure_tells_a_resource_from_the_file() -> None:
    """The one helper every reader calls: a resource error comes back as it came; any other is ``error``
    with the reader's wording (its reason and separator when it words the line its own way)."""
    for code in RESOURCE_ERRNOS:
        exc = OSError(code, os.strerror(code), "/d/f")
        assert read_failure(exc, "--in /d/f", "check the file", ConfigError) is exc
    eio = OSError(errno.EIO, os.strerror(errno.EIO), "/d/f")
    plain = read_failure(eio, "--in /d/f", "check the file")
    assert type(plain) is DataError
    assert str(plain) == f"--in /d/f: cannot be read ({os.strerror(errno.EIO)}); check the file"
    own = read_failure(eio, "/d/f", "save again", CheckpointError, reason="OSError", sep=" ")
    assert type(own) is CheckpointError and str(own) == "/d/f cannot be read (OSError); save again"
