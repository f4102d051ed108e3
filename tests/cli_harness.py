"""The in-process CLI harness of the conventions test and the hostile-input battery: every CLI invoked in-process, outcomes checked the same way.

A case passes when the command ends with the expected exit code, a failure prints exactly one line
``error: ...`` (or ``interrupted``) on stderr and nothing that looks like a traceback, stdout holds no
non-finite number, and the output location holds only what a successful run writes (nothing after a
failure). Running in-process keeps the few hundred cases within seconds.
"""

from __future__ import annotations

import gzip
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENTRY_POINTS = {
    "finance": "carrousel.finance.cli:main",
    "bio": "carrousel.bio.cli:main",
    "nlp": "carrousel.nlp.cli:main",
    "speech": "carrousel.speech.cli:main",
}


@dataclass(frozen=True)
class Outcome:
    """What one invocation did."""

    code: int
    stdout: str
    stderr: str

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def _entry(prog: str) -> Callable[[], None]:
    module, _, name = ENTRY_POINTS[prog].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def run_entry(capture: pytest.CaptureFixture[Any], prog: str, *args: str | Path) -> tuple[int, Any, Any]:
    """Runs ``prog``'s console entry point in this process with ``args``: the exit code and what ``capture``
    read (capsys; or capfd / capfdbinary, whose stdout is a real descriptor, for outputs named
    ``/dev/stdout``)."""
    main = _entry(prog)
    old, sys.argv = sys.argv, [prog, *map(str, args)]
    capture.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out, err = capture.readouterr()
    return code, out, err


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """``invoke("bio", "scan", "x.fa")`` runs the console entry point in this process."""

    def run(prog: str, *args: str | Path) -> Outcome:
        return Outcome(*run_entry(capsys, prog, *args))

    return run


def record_figures(monkeypatch: pytest.MonkeyPatch, module: Any, read: Callable[[Any], Any]) -> list[Any]:
    """What ``read(fig)`` says of each figure ``module`` writes through its ``save_png`` (read before the
    figure is saved and closed; the PNG is still written), in order: a chart checked by its texts."""
    drawn: list[Any] = []
    save = module.save_png

    def recording_save(fig: Any, path: Any) -> Path:
        drawn.append(read(fig))
        return save(fig, path)

    monkeypatch.setattr(module, "save_png", recording_save)
    return drawn


def config_of(
    monkeypatch: pytest.MonkeyPatch,
    app: Callable[..., Any],
    target: Any,
    name: str,
    *argv: str,
    pick: Callable[[tuple[Any, ...]], Any] = lambda args: args[0],
) -> Any:
    """The config ``app *argv`` hands to ``target.name`` (a module, or its dotted name), which is replaced so
    that nothing runs: the command stops once it has built its config; ``pick`` chooses the config from
    the call's positional arguments (the first by default)."""
    module = importlib.import_module(target) if isinstance(target, str) else target
    seen: list[Any] = []

    def capture(*args: Any, **__: Any) -> None:
        seen.append(pick(args))
        raise SystemExit(0)

    monkeypatch.setattr(module, name, capture)
    with pytest.raises(SystemExit):
        app(list(argv), standalone_mode=False)
    return seen[0]


def record_toml(record: dict[str, dict[str, Any]]) -> str:
    """A run's recorded config (``{table: {key: value}}``: run.json's, bundle.json's ``config``) as a TOML file
    to feed back with ``--config``: one table each, every value JSON-spelt (valid TOML for the values records
    hold), unset (null) values left out, as TOML has no null."""
    lines = []
    for name, table in record.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items() if value is not None]
    return "\n".join(lines) + "\n"


def config_flags(text: str | None, name: str = "c.toml") -> list[str]:
    """``["--config", name]`` once ``text`` is written to ``name`` in the current folder; ``[]`` for None
    (no file: the command line alone)."""
    if text is None:
        return []
    Path(name).write_text(text)
    return ["--config", name]


def assert_clean_failure(outcome: Outcome, code: int = 1, needle: str | None = None) -> None:
    """One ``error:`` line (exit 1 or 2) naming ``needle``, no traceback, no result on stdout (errors go to
    stderr; no command promises a JSON error document on stdout)."""
    lines = outcome.error_lines()
    assert outcome.stdout == "", f"a failure printed on stdout: {outcome.stdout[:300]!r}"
    assert outcome.code == code, f"exit {outcome.code}, expected {code}; stderr: {outcome.stderr!r}"
    assert len(lines) == 1, f"expected one line on stderr, got: {outcome.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in outcome.stderr
    assert "internal error" not in lines[0], lines[0]
    if needle is not None:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"


def assert_no_nonfinite(text: str) -> None:
    for word in ("NaN", "Infinity", "nan,", " inf"):
        assert word not in text, f"{word!r} reached an output: {text[:300]!r}"


def assert_training_outputs(folder: Path, epochs: int, png: bool = True) -> list[dict[str, str]]:
    """``folder`` (a train command's output) holds ``history.csv`` with one row per epoch trained (epochs
    1..``epochs``, a train loss in each, no non-finite text) and, when ``png``, a ``training.png`` that
    decodes as an image; returns the rows."""
    import csv

    from PIL import Image

    text = (folder / "history.csv").read_text()
    assert_no_nonfinite(text)
    rows = list(csv.DictReader(text.splitlines()))
    assert [int(r["epoch"]) for r in rows] == list(range(1, epochs + 1)), rows
    assert all(float(r["train_loss"]) > 0 for r in rows), rows
    chart = folder / "training.png"
    if png:
        with Image.open(chart) as img:
            assert img.format == "PNG" and img.size[0] > 400 and img.size[1] > 200, img.size
    else:
        assert not chart.exists()
    return rows


def listing(folder: Path) -> list[str]:
    """Every path below ``folder`` (files and folders), relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@dataclass(frozen=True)
class HostileFiles:
    """A folder of generated hostile inputs, shared by the battery's modules."""

    root: Path

    def path(self, name: str) -> Path:
        return self.root / name


def make_hostile_files(root: Path) -> HostileFiles:
    """Writes the generic hostile inputs once: empty, whitespace, binary, NUL, latin-1, one endless line,
    truncated and fake gzip, a folder, a FIFO without writer, a file without read permission."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_bytes(b"   \n\n\t\n")
    (root / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (root / "nul.txt").write_bytes(b"ACGT\x00ACGT\n")
    (root / "latin1.txt").write_bytes("d\xe9j\xe0 vu\n".encode("latin-1"))
    (root / "one_line.txt").write_bytes(b"1," * 600_000)
    (root / "truncated.gz").write_bytes(gzip.compress(b"date,close\n2020-01-02,1\n" * 4000)[:-64])
    (root / "fake.gz").write_bytes(b"not gzip at all\n")
    (root / "folder").mkdir(exist_ok=True)
    if not (root / "fifo").exists():
        os.mkfifo(root / "fifo")
    return HostileFiles(root)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileFiles:
    return make_hostile_files(tmp_path_factory.mktemp("hostile"))


def save_manifest(folder: Path, doc: dict, rehash: bool = True) -> None:
    """Writes a bundle's ``bundle.json`` back; with ``rehash`` its file sizes and sha256 are recomputed,
    so a tampered file passes the checksum and the deeper check under test is reached."""
    import hashlib
    import json

    if rehash:
        for rel in doc["files"]:
            blob = (folder / rel).read_bytes()
            doc["files"][rel] = {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    (folder / "bundle.json").write_text(json.dumps(doc))


def nan_weights(folder: Path) -> None:
    """Sets a bundle's first weight tensor to NaN and rehashes the manifest."""
    import json

    from safetensors.torch import load_file, save_file

    tensors = load_file(str(folder / "model.safetensors"))
    first = next(iter(tensors))
    tensors[first] = tensors[first] * float("nan")
    save_file(tensors, str(folder / "model.safetensors"))
    save_manifest(folder, json.loads((folder / "bundle.json").read_text()))


def run_stdout_closed(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """``python *args`` in ``cwd`` started with stdout closed (``cmd >&-``): the finished process (stderr
    captured) and its seconds."""
    start = time.monotonic()
    r = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        text=True,
        timeout=120,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    return r, time.monotonic() - start


def assert_stdout_closed_refused(r: subprocess.CompletedProcess[str]) -> None:
    """``r`` was refused for its closed stdout: exit 1, one ``error:`` line naming ``> /dev/null``."""
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: standard output is closed") and "> /dev/null" in lines[0], r.stderr
