"""Hostile inputs to ``finance``: every case is one clear line with the right exit code, nothing written.

Cases are generated from the committed AAPL/MSFT slice: a good CSV is mutated one way per case (text in
a number column, thousands separators, dates of the future or of mixed formats, infinite prices...),
plus the generic hostile files of the harness, bad option values and damaged model bundles.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_harness import nan_weights
from tests.hardening.conftest import (
    HostileFiles,
    Outcome,
    assert_clean_failure,
    assert_no_nonfinite,
    listing,
)

STOCKS = Path(__file__).parents[1] / "finance" / "data" / "stocks_2007_2010.csv.gz"
FAST = ["--epochs", "1", "--hidden", "4", "--lookback", "10", "--horizon", "2", "--no-backtest"]


def _good_lines() -> list[str]:
    lines = gzip.decompress(STOCKS.read_bytes()).decode().splitlines()
    return [lines[0], *[line for line in lines[1:] if line.startswith("AAPL,")]]


def _mutate(row: int, col: int, value: str) -> Callable[[list[str]], list[str]]:
    def apply(lines: list[str]) -> list[str]:
        at = row % len(lines)
        cells = lines[at].split(",")
        cells[col] = value
        return [*lines[:at], ",".join(cells), *lines[at + 1 :]]

    return apply


# name -> (mutation of the AAPL lines, text the one error line must contain)
CSV_MUTATIONS: dict[str, tuple[Callable[[list[str]], list[str]], str]] = {
    "text in close": (_mutate(300, 5, "abc"), "'abc' is not a number"),
    "text in open": (_mutate(12, 2, "n.a."), "is not a number"),
    "thousands separator": (_mutate(400, 6, "44,225,700"), "thousands separator"),
    "infinite close": (_mutate(-1, 5, "inf"), "infinite"),
    "infinite volume": (_mutate(200, 6, "1e999"), "infinite"),
    "negative close": (_mutate(100, 5, "-3.5"), "negative prices"),
    "zero close": (_mutate(100, 5, "0"), "zero or negative"),
    "future date": (_mutate(-1, 1, "2099-01-02"), "in the future"),
    "mixed date formats": (_mutate(50, 1, "03/05/2008"), "mixed date formats"),
    "garbage date": (_mutate(50, 1, "yesterday"), "unreadable date"),
    "all dates day-first ambiguous": (
        lambda ls: [
            ls[0],
            *[
                ",".join([c.split(",")[0], f"0{i % 9 + 1}/0{i % 7 + 1}/2008", *c.split(",")[2:]])
                for i, c in enumerate(ls[1:300])
            ],
        ],
        "ambiguous date",
    ),
    "no close column": (lambda ls: [ls[0].replace("Close", "Last"), *ls[1:]], "lacks column"),
    "no date column": (lambda ls: [ls[0].replace("Date", "When"), *ls[1:]], "lacks column"),
    "header only": (lambda ls: ls[:1], "no price rows"),
    "too short": (lambda ls: ls[:40], "fewer than|at least|too short"),
    "one row": (lambda ls: ls[:2], "has only 1 usable trading day,"),  # was: 'close never changes'
    "constant close": (
        lambda ls: [ls[0], *[",".join([*c.split(",")[:2], "5", "5", "5", "5", "100", "5"]) for c in ls[1:]]],
        "never changes",
    ),
    "extra field": (lambda ls: [*ls[:30], ls[30] + ",7", *ls[31:]], "fields"),
    "other ticker only": (lambda ls: [ls[0], *[c.replace("AAPL,", "IBM,", 1) for c in ls[1:]]], "not in"),
}


@pytest.mark.parametrize("case", list(CSV_MUTATIONS))
def test_csv_mutations(invoke: Callable[..., Outcome], tmp_path: Path, case: str) -> None:
    mutate, needle = CSV_MUTATIONS[case]
    csv = tmp_path / "prices.csv"
    csv.write_text("\n".join(mutate(_good_lines())) + "\n")
    out = tmp_path / "run"
    outcome = invoke("finance", "forecast", "AAPL", "--csv", csv, "--out", out, *FAST)
    needles = needle.split("|")
    assert_clean_failure(outcome, 1)
    assert any(n in outcome.stderr for n in needles), outcome.stderr
    assert not out.exists() and listing(tmp_path) == ["prices.csv"]


GENERIC = {
    "empty.txt": "is empty",
    "blank.txt": "only whitespace",
    "binary.bin": "binary file",
    "nul.txt": "binary file",
    "latin1.txt": "not utf-8 text",
    "one_line.txt": "over 10,000 characters",
    "truncated.gz": "damaged gzip",
    "fake.gz": "damaged gzip",
    "folder": "is a folder",
    "fifo": "is a FIFO",
    "missing.csv": "not found",
}


@pytest.mark.parametrize("name", list(GENERIC))
def test_hostile_csv_files(invoke: Callable[..., Outcome], hostile: HostileFiles, name: str) -> None:
    assert_clean_failure(invoke("finance", "forecast", "AAPL", "--csv", hostile.path(name)), 1, GENERIC[name])


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero", "/dev/full"])
def test_devices_as_csv(invoke: Callable[..., Outcome], device: str) -> None:
    assert_clean_failure(invoke("finance", "forecast", "AAPL", "--csv", device), 1, "special file")


# option values that are usage errors (exit 2: not a number, not a choice) or value errors (exit 1)
OPTIONS: dict[str, tuple[list[str], int, str]] = {
    "horizon 0": (["--horizon", "0"], 2, "'--horizon'"),
    "horizon negative": (["--horizon", "-2"], 2, "'--horizon'"),
    "horizon text": (["--horizon", "five"], 2, "horizon"),
    "horizon huge": (["--horizon", "100000"], 2, "'--horizon'"),
    "lookback 1": (["--lookback", "1"], 2, "'--lookback'"),
    "lookback huge": (["--lookback", "1000000"], 2, "'--lookback'"),  # past the bound (before: exit 1, later)
    "epochs 0": (["--epochs", "0"], 2, "epochs"),
    "epochs text": (["--epochs", "ten"], 2, "epochs"),
    "hidden 0": (["--hidden", "0"], 2, "'--hidden'"),
    "hidden huge": (["--hidden", "10000000"], 2, "'--hidden'"),
    "test days 5": (["--test-days", "5"], 2, "'--test-days'"),
    "test days text": (["--test-days", "many"], 2, "test-days"),
    "refit 0": (["--refit-every", "0"], 2, "'--refit-every'"),
    "quantiles text": (["--quantiles", "low,high"], 2, "quantiles"),
    "quantiles 0 and 1": (["--quantiles", "0,1"], 2, "quantile"),
    "quantiles over 1": (["--quantiles", "0.5,1.5"], 2, "quantile"),
    "quantiles nan": (["--quantiles", "nan"], 2, "quantile"),
    "quantiles duplicate": (["--quantiles", "0.5,0.5"], 2, "quantile"),
    "arch unknown": (["--arch", "transformer"], 2, "arch"),
    "source unknown": (["--source", "bloomberg"], 2, "source"),
    "window unknown": (["--window", "sliding"], 2, "window"),
    "device unknown": (["--device", "tpu"], 2, "device"),
    "precision unknown": (["--precision", "int4"], 2, "precision"),
    # fp16 is for GPUs and the forecasts run on the CPU: a one-line error naming bf16, before any work
    "precision fp16": (["--precision", "fp16"], 1, "use --precision bf16"),
    "seed text": (["--seed", "lucky"], 2, "seed"),
    "start garbage": (["--start", "soon"], 1, "start"),
    "end before start": (["--start", "2010-01-01", "--end", "2009-01-01"], 1, "end"),
    "start future": (["--start", "2099-01-01"], 1, "2099"),
    # two typed flags that contradict: a usage error naming both (before: exit 1)
    "csv with sample source": (["--source", "sample"], 2, "not used with --source sample"),
    "plot not png": (["--plot", "chart.jpg"], 1, ".png"),
    "unknown option": (["--colour", "red"], 2, "--colour"),
    "model flag of old": (["--model", "gru"], 2, "--model"),
    "verbose and quiet": (["-v", "-q"], 2, "exclude"),
}


@pytest.mark.parametrize("case", list(OPTIONS))
def test_bad_options(invoke: Callable[..., Outcome], tmp_path: Path, case: str) -> None:
    args, code, needle = OPTIONS[case]
    csv = tmp_path / "p.csv"
    csv.write_text("\n".join(_good_lines()) + "\n")
    outcome = invoke("finance", "forecast", "AAPL", "--csv", csv, *args)
    assert_clean_failure(outcome, code, needle)
    assert listing(tmp_path) == ["p.csv"]


CONFIG_FILES: dict[str, tuple[bytes | None, str]] = {
    "missing": (None, "not found"),
    "binary": (bytes(range(256)), "not UTF-8"),
    "invalid toml": (b"[window\nhorizon = 3\n", "not valid TOML"),
    "unknown option": (b"[window]\ncolour = 3\n", "unknown option"),
    "wrong type": (b'[window]\nhorizon = "three"\n', "horizon"),
    "negative lookback": (b"[window]\nlookback = -5\n", "lookback"),
    "nan learning rate": (b"[train]\nlr = nan\n", "lr"),
    "unknown precision": (
        b'[train]\nprecision = "int4"\n',
        "precision must be one of fp32, bf16, fp16, not 'int4'",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_FILES))
def test_bad_config_files(invoke: Callable[..., Outcome], tmp_path: Path, case: str) -> None:
    content, needle = CONFIG_FILES[case]
    path = tmp_path / "run.toml"
    if content is not None:
        path.write_bytes(content)
    outcome = invoke("finance", "forecast", "AAPL", "--source", "sample", "--config", path)
    assert_clean_failure(outcome, 1, needle)


@pytest.mark.parametrize(
    "target",
    ["a_file", "non_run_folder", "file_below_a_file"],
)
def test_bad_output_folders(invoke: Callable[..., Outcome], tmp_path: Path, target: str) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("\n".join(_good_lines()) + "\n")
    (tmp_path / "a_file").write_text("mine")
    (tmp_path / "non_run_folder").mkdir()
    (tmp_path / "non_run_folder" / "notes.txt").write_text("mine")
    path = tmp_path / ("a_file/x" if target == "file_below_a_file" else target)
    before = listing(tmp_path)
    outcome = invoke("finance", "forecast", "AAPL", "--csv", csv, "--out", path, *FAST)
    assert_clean_failure(outcome, 1)
    assert listing(tmp_path) == before and (tmp_path / "a_file").read_text() == "mine"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny trained forecaster bundle, copied by the tampering cases."""
    import subprocess
    import sys

    from carrousel.finance.cli import main  # noqa: F401  (registers the model class)

    root = tmp_path_factory.mktemp("fin")
    csv = root / "p.csv"
    csv.write_text("\n".join(_good_lines()) + "\n")
    model = root / "model"
    code = "from carrousel.finance.cli import main; main()"
    args = ["forecast", "AAPL", "--csv", str(csv), "--model-dir", str(model), *FAST, "-q"]
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, timeout=300)
    return model


def _edit_manifest(folder: Path, edit: Callable[[dict], None]) -> None:
    doc = json.loads((folder / "bundle.json").read_text())
    edit(doc)
    (folder / "bundle.json").write_text(json.dumps(doc))


def _scaler_std(value: float) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        def edit(doc: dict) -> None:
            scalers = doc["assets"]["scalers"]
            for scaler in scalers.values():
                scaler["std"] = [value for _ in scaler["std"]]

        _edit_manifest(folder, edit)

    return apply


def _config_field(section: str, key: str, value: object) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        def edit(doc: dict) -> None:
            node = doc["config"]
            for part in section.split("."):
                node = node[part]
            node[key] = value

        _edit_manifest(folder, edit)

    return apply


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "weights truncated": (
        lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:64]),
        "truncated",
    ),
    "weights changed": (
        lambda f: (f / "model.safetensors").write_bytes(
            (f / "model.safetensors").read_bytes()[:-4] + b"\x00\x00\x80\x7f"
        ),
        "checksum",
    ),
    "NaN weights, rehashed": (nan_weights, "NaN"),
    "manifest deleted": (lambda f: (f / "bundle.json").unlink(), "not a carrousel model|holds no model"),
    "manifest garbage": (lambda f: (f / "bundle.json").write_bytes(b"\x89PNG\r\n"), "damaged"),
    "newer format": (lambda f: _edit_manifest(f, lambda d: d.update(format_version=99)), "newer carrousel"),
    "another kind": (lambda f: _edit_manifest(f, lambda d: d.update(kind="bio.danq")), "bio.danq"),
    "huge hidden size": (_config_field("member.encoder", "hidden_size", 10_000), "does not match"),
    "absurd hidden size": (_config_field("member.encoder", "hidden_size", 10**9), "limit"),
    "negative lookback": (lambda f: _edit_manifest(f, _set_asset_lookback(-5)), "lookback"),
    "scaler std 0": (_scaler_std(0.0), "standard deviation"),
    "scaler std negative": (_scaler_std(-1.0), "standard deviation"),
}


def _set_asset_lookback(value: int) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        doc["assets"]["config"]["window"]["lookback"] = value

    return edit


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_bundles(invoke: Callable[..., Outcome], trained: Path, tmp_path: Path, case: str) -> None:
    damage, needle = TAMPERING[case]
    model = tmp_path / "model"
    shutil.copytree(trained, model)
    damage(model)
    outcome = invoke("finance", "forecast", "AAPL", "--source", "sample", "--model-dir", model)
    assert_clean_failure(outcome, 1)
    assert any(n.lower() in outcome.stderr.lower() for n in needle.split("|")), outcome.stderr
    assert_no_nonfinite(outcome.stdout)


RUN_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda t: t / "nope", "not found"),
    "not json": (lambda t: (t / "run.json").write_text("{") and t, "not a run.json"),
    "binary": (lambda t: (t / "run.json").write_bytes(bytes(range(200))) and t, "not a run.json"),
    "json of another kind": (lambda t: (t / "run.json").write_text('{"a": 1}') and t, "not a finance run"),
    "json list": (lambda t: (t / "run.json").write_text("[1, 2]") and t, "not a finance run"),
    "empty folder": (lambda t: t, "not found"),
}


@pytest.mark.parametrize("case", list(RUN_FILES))
def test_evaluate_bad_runs(invoke: Callable[..., Outcome], tmp_path: Path, case: str) -> None:
    make, needle = RUN_FILES[case]
    assert_clean_failure(invoke("finance", "evaluate", make(tmp_path)), 1, needle)


@pytest.mark.parametrize(
    ("args", "code"),
    [([], 0), (["nope"], 2), (["forecast"], 2), (["backtest", "--json", "--json2"], 2), (["evaluate"], 2)],
)
def test_command_line_shape(invoke: Callable[..., Outcome], args: list[str], code: int) -> None:
    outcome = invoke("finance", *args)
    if code == 0:
        assert outcome.code == 0 and "forecast" in outcome.stdout
    else:
        assert_clean_failure(outcome, code)


@pytest.mark.parametrize("inside", [False, True], ids=["fifo", "fifo run.json"])
def test_evaluate_refuses_fifo_runs(invoke: Callable[..., Outcome], tmp_path: Path, inside: bool) -> None:
    """A FIFO given as a run (or as a run folder's run.json) is refused before it is opened; before, the
    read blocked until a writer came (for ever with none; here a helper writes '{}' after a second to each
    read, which the command then took as a run of another kind)."""
    import os
    import threading
    import time

    fifo = tmp_path / "run.json" if inside else tmp_path / "fifo"
    os.mkfifo(fifo)
    done = threading.Event()

    def late_writer() -> None:  # unblocks a reader that opened the FIFO (the behaviour before the fix)
        time.sleep(1.0)
        while not done.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader: the command did not open it
                time.sleep(0.05)
                continue
            os.write(fd, b"{}")  # each read of the run (it is read more than once) gets '{}'
            os.close(fd)
            time.sleep(0.2)

    writer = threading.Thread(target=late_writer, daemon=True)
    writer.start()
    try:
        outcome = invoke("finance", "evaluate", tmp_path if inside else fifo)
    finally:
        done.set()
        writer.join()
    assert_clean_failure(outcome, 1, "FIFO or device")
