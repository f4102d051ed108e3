"""Every command of every carrousel CLI follows the README's conventions table.

The commands are enumerated from the typer apps, so a new command is checked without editing this file,
except for the two tables below: each command needs a DATA_ERROR case (an input that is a data error,
exit 1 with one line) and, where a cheap successful run exists, a JSON case (strict JSON on stdout).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, get_args

import pytest
from typer.main import get_command

from carrousel_devdata.readme_commands import leaves
from tests.hardening.conftest import Outcome, assert_clean_failure

PROGRAMS = ("finance", "bio", "nlp", "speech")
RESERVED = {"-h": "--help", "-v": "--verbose", "-q": "--quiet"}


def _leaves(prog: str) -> dict[tuple[str, ...], Any]:
    """Each command of ``prog`` without sub-commands, by its words (``("nlp", "sentiment", "train")``), found
    by the one walker of the click tree (carrousel_devdata.readme_commands.leaves, as the README tests)."""
    app = __import__(f"carrousel.{prog}.cli", fromlist=["app"]).app
    return {tuple(name.split()): cmd for name, cmd in leaves(get_command(app), [prog])}


LEAVES = {where: cmd for prog in PROGRAMS for where, cmd in _leaves(prog).items()}
COMMANDS = sorted(LEAVES)


def _params(prog: str, path: tuple[str, ...]) -> list[object]:
    return list(LEAVES[(prog, *path)].params)


def test_every_program_has_version_and_help(invoke: Callable[..., Outcome]) -> None:
    for prog in PROGRAMS:
        out = invoke(prog, "--version")
        expected = f"carrousel-{prog} {version(f'carrousel-{prog}')}"  # not a copy of the pyproject's version
        assert out.code == 0 and out.stdout.strip() == expected, out
        for args in ([], ["-h"], ["--help"]):
            out = invoke(prog, *args)
            assert out.code == 0 and "Usage" in out.stdout and "--version" in out.stdout, (prog, args)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_and_shared_flags(invoke: Callable[..., Outcome], command: tuple[str, ...]) -> None:
    prog, *path = command
    out = invoke(prog, *path, "-h")
    assert out.code == 0 and "Usage" in out.stdout, out.stderr
    for flag in ("-v, --verbose", "-q, --quiet", "-h, --help"):
        assert flag in out.stdout, f"{' '.join(command)} lacks {flag}"
    options = out.stdout.split("Options:", 1)[-1]
    assert "<bool>" not in out.stdout, "a flag shows a value"
    for raw in ("<str>", "<list[str]>", "<list[Path]>", "<int", "<float", "<path>"):  # TEXT, INT, PATH...
        assert raw not in options, f"{' '.join(command)}: {raw} in the options"


def test_short_flags_mean_one_thing_everywhere() -> None:
    meaning: dict[str, tuple[str, str]] = {}
    for prog, *path in COMMANDS:
        for param in _params(prog, tuple(path)):
            opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
            longs = [o for o in opts if o.startswith("--")]
            for short in (o for o in opts if not o.startswith("--")):
                where = f"{prog} {' '.join(path)}"
                assert RESERVED.get(short, longs[0]) == longs[0], f"{where}: {short} is reserved"
                seen = meaning.setdefault(short, (longs[0], where))
                assert seen[0] == longs[0], f"{short} is {seen[0]} in {seen[1]} but {longs[0]} in {where}"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_unknown_option_is_a_usage_error(invoke: Callable[..., Outcome], command: tuple[str, ...]) -> None:
    assert_clean_failure(invoke(*command, "--no-such-option"), 2, "--no-such-option")


@pytest.mark.parametrize("prog", PROGRAMS)
def test_unknown_command_is_a_usage_error(invoke: Callable[..., Outcome], prog: str) -> None:
    assert_clean_failure(invoke(prog, "no-such-command"), 2, "no-such-command")


def _data_error_cases(tmp: Path) -> dict[tuple[str, ...], list[str]]:
    """One data error per command (a missing or unreadable input): exit 1, one line."""
    missing = str(tmp / "missing.dat")
    (tmp / "bin.dat").write_bytes(bytes(range(256)) * 8)
    binary = str(tmp / "bin.dat")
    return {
        ("finance", "forecast"): ["AAPL", "--csv", missing],
        ("finance", "backtest"): ["AAPL", "--csv", binary],
        ("finance", "evaluate"): [missing],
        ("finance", "export"): ["--model-dir", missing, "-o", str(tmp / "fe")],
        ("finance", "train-global"): ["--data", binary, "--model-dir", str(tmp / "fm")],
        ("finance", "predict"): ["--data", missing, "--model-dir", missing],
        ("bio", "scan"): [binary, "-m", "MA0139.2"],
        ("bio", "train"): ["--positives", missing, "--negatives", missing, "-o", str(tmp / "m")],
        ("bio", "evaluate"): ["--positives", missing, "--negatives", missing],
        ("bio", "enrich"): [missing, "-m", "CTCF"],
        ("bio", "discover"): ["--model", missing, "-o", str(tmp / "d")],
        ("bio", "export"): ["--model", missing, "-o", str(tmp / "be")],
        ("nlp", "sentiment", "train"): ["--data", missing, "-o", str(tmp / "s")],
        ("nlp", "sentiment", "predict"): ["--model", missing, "a text"],
        ("nlp", "sentiment", "evaluate"): ["--model", missing, "--data", missing],
        ("nlp", "sentiment", "export"): ["--model", missing, "-o", str(tmp / "se")],
        ("nlp", "generate", "train"): ["-t", binary, "-o", str(tmp / "g")],
        ("nlp", "generate", "run"): ["--model", missing],
        ("nlp", "generate", "evaluate"): ["--model", missing, "-t", missing],
        ("nlp", "generate", "export"): ["--model", missing, "-o", str(tmp / "ge")],
        ("nlp", "translate", "train"): ["--pairs", binary, "-o", str(tmp / "t")],
        ("nlp", "translate", "run"): ["--model", missing, "a text"],
        ("nlp", "translate", "evaluate"): ["--model", missing, "--pairs", missing],
        ("nlp", "translate", "export"): ["--model", missing, "-o", str(tmp / "te")],
        ("speech", "synth-corpus"): ["-o", binary, "-n", "2"],
        ("speech", "train"): ["--data", missing, "-o", str(tmp / "sm")],
        ("speech", "transcribe"): [binary],
        ("speech", "evaluate"): ["--data", missing],
        ("speech", "stream"): [missing],
        ("speech", "export"): ["--model", missing, "-o", str(tmp / "spx")],
        **{(prog, "samples", "place"): [_GROUPS[prog], "--from", missing] for prog in PROGRAMS},
        **{(prog, "samples", "list"): [] for prog in PROGRAMS},  # with $CARROUSEL_CACHE a file (below)
    }


_GROUPS = {"finance": "stocks", "bio": "lambda", "nlp": "botchan", "speech": "tidigits"}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_data_error_is_one_line_exit_1(
    invoke: Callable[..., Outcome], tmp_path: Path, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _data_error_cases(tmp_path)
    if command[1:] == ("samples", "list"):  # its data error: a sample cache that is a file
        monkeypatch.setenv("CARROUSEL_CACHE", str(tmp_path / "bin.dat"))
    assert command in cases, f"add a data-error case for {' '.join(command)} to this test"
    outcome = invoke(*command, *cases[command])
    assert_clean_failure(outcome, 1)
    assert outcome.stdout == ""


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_json_outputs_are_strict(invoke: Callable[..., Outcome], tmp_path: Path) -> None:
    """A cheap successful --json run of each program that has one parses as strict JSON."""
    import random

    rng = random.Random(0)
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "".join(rng.choice("ACGT") for _ in range(5000)) + "\n")
    out = invoke("bio", "scan", genome, "-m", "CTCF", "--pvalue", "0.001", "--json")
    assert out.code == 0, out.stderr
    doc = _strict(out.stdout)
    assert isinstance(doc, dict) and doc["bases"] == 5000
    peaks = tmp_path / "peaks.fa"
    peaks.write_text(
        "".join(f">p{i}\n{''.join(rng.choice('ACGT') for _ in range(100))}\n" for i in range(12))
    )
    out = invoke("bio", "enrich", peaks, "-m", "CTCF,REST", "--pvalue", "0.01", "--json")
    assert out.code == 0, out.stderr
    doc = _strict(out.stdout)
    assert isinstance(doc, dict) and doc["motifs"] == 2 and doc["background"]["sequences"] == 24
    run = tmp_path / "run"
    stocks = Path(__file__).parent / "finance" / "data" / "stocks_2007_2010.csv.gz"
    out = invoke(
        "finance", "backtest", "AAPL", "--csv", stocks, "--epochs", "1", "--hidden", "4", "--lookback", "10",
        "--horizon", "2", "--test-days", "40", "--refit-every", "40", "--json", "-o", run,
    )  # fmt: skip
    assert out.code == 0, out.stderr
    assert _strict(out.stdout)["tickers"] == ["AAPL"]  # type: ignore[index]
    out = invoke("finance", "evaluate", run, "--json")
    assert out.code == 0, out.stderr
    doc = _strict(out.stdout)  # an object with "plots", as every --json (before: a bare list of rows)
    assert isinstance(doc, dict) and set(doc) == {"runs", "plots"} and doc["plots"] == []
    assert doc["runs"] and all(row["run"] == str(run) for row in doc["runs"])


# the commands that run a PyTorch network with core's --precision (RunPrecision: fp32, bf16/fp16 autocast)
RUN_PRECISION = {
    ("finance", "predict"),
    ("bio", "scan"),
    ("bio", "evaluate"),
    ("nlp", "sentiment", "predict"),
    ("nlp", "sentiment", "evaluate"),
    ("nlp", "generate", "run"),
    ("nlp", "generate", "evaluate"),
    ("nlp", "translate", "run"),
    ("nlp", "translate", "evaluate"),
    ("speech", "transcribe"),
    ("speech", "evaluate"),
}
# the commands that train with core's --precision (TrainPrecision, or TrainPrecisionOrConfig where a
# --config file may set it: mixed-precision training); every other --precision is an export's ONNX numbers
TRAIN_PRECISION = {
    ("finance", "forecast"),
    ("finance", "backtest"),
    ("finance", "train-global"),
    ("bio", "train"),
    ("nlp", "sentiment", "train"),
    ("nlp", "generate", "train"),
    ("nlp", "translate", "train"),
    ("speech", "train"),
}


def test_precision_options_are_cores_three() -> None:
    from carrousel.core.cli import ExportPrecision, RunPrecision, TrainPrecision, TrainPrecisionOrConfig

    run_help, export_help, *train_helps = (
        get_args(kind)[1].help
        for kind in (RunPrecision, ExportPrecision, TrainPrecision, TrainPrecisionOrConfig)
    )
    helps = {
        (prog, *path): param.help  # type: ignore[attr-defined]
        for prog, *path in COMMANDS
        for param in _params(prog, tuple(path))
        if "--precision" in getattr(param, "opts", [])
    }
    assert {where for where, text in helps.items() if text == run_help} == RUN_PRECISION, helps
    assert {where for where, text in helps.items() if text in train_helps} == TRAIN_PRECISION, helps
    others = set(helps) - RUN_PRECISION - TRAIN_PRECISION
    assert others and all(helps[where] == export_help for where in others), helps


def test_every_seed_option_refuses_a_negative_seed(invoke: Callable[..., Outcome]) -> None:
    """Before: ``nlp sentiment train --seed -1`` ended in "internal error (ValueError: expected non-negative
    integer)", ``speech train`` likewise; ``finance`` took it. Now a usage error naming the option."""
    seeded = [
        (prog, *path, opt)
        for prog, *path in COMMANDS
        for param in _params(prog, tuple(path))
        for opt in getattr(param, "opts", [])
        if opt in ("--seed", "--train-seed")
    ]
    assert len(seeded) >= 10, seeded
    for *command, opt in seeded:
        assert_clean_failure(invoke(*command, opt, "-1"), 2, opt)


def test_a_folder_of_other_files_is_refused_in_one_wording(tmp_path: Path) -> None:
    """Core's check_output_dir, Bundle.save, finance's run folder and bio's model and discover folders refuse
    a folder of someone's files in one sentence, each with its own error class (before: four wordings)."""
    from carrousel.bio.config import DiscoverConfig
    from carrousel.bio.config import TrainConfig as BioTrainConfig
    from carrousel.bio.pipeline import discover
    from carrousel.bio.pipeline import train as bio_train
    from carrousel.core.bundle import Bundle
    from carrousel.core.errors import BundleError, ConfigError
    from carrousel.core.files import check_output_dir
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
    from carrousel.finance.errors import OutputPathError
    from carrousel.finance.runs import check_run_folder

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    said = (
        "holds files but no {}, so it is not an earlier output and its content would be replaced; give a new "
    )
    said += "or empty folder"
    bundle = Bundle(kind="test.x", model=SequenceRegressor(SequenceRegressorConfig(RecurrentConfig(1, 2))))
    # the folder as its reader names it: a flag given as such, a Python caller's argument (option names)
    cases = [
        (
            lambda: check_output_dir(other, "--out", marker="bundle.json"),
            ConfigError,
            f"--out {other}",
            "bundle.json",
        ),
        (lambda: bundle.save(other), BundleError, str(other), "bundle.json"),
        (lambda: check_run_folder(other), OutputPathError, f"out_dir='{other}'", "run.json"),
        (lambda: bio_train(BioTrainConfig(), other), BundleError, f"out='{other}'", "bundle.json"),
        (
            lambda: discover(DiscoverConfig(model=str(tmp_path / "m")), other),
            BundleError,
            f"out='{other}'",
            "motifs.meme",
        ),
    ]
    for call, error, where, marker in cases:
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value) == f"{where} {said.format(marker)}"
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_every_plot_option_reads_the_same() -> None:
    """``--plot FILE.png`` everywhere (as the README writes it), its help in one form: "Write a PNG of ...".
    Before: the metavar was PATH, and the help read "PNG heat map of ..." or "Write a fan chart PNG"."""
    seen = []
    for prog, *path in COMMANDS:
        for param in _params(prog, tuple(path)):
            if "--plot" in getattr(param, "opts", []):
                where = f"{prog} {' '.join(path)}"
                seen.append(where)
                assert getattr(param, "metavar", None) == "FILE.png", where
                assert str(getattr(param, "help", "")).startswith("Write a PNG of "), where
    assert len(seen) >= 9, seen


def test_every_epochs_option_is_bounded_by_cores_max_epochs(invoke: Callable[..., Outcome]) -> None:
    """Before: only bio's configs bounded epochs (10,000, exit 1 after parsing); ``speech train``, ``finance``
    and ``nlp`` took ``--epochs 10**9`` (finance even 0 up to its config check). Now every ``--epochs`` and
    ``--finetune-epochs`` is 1..core's MAX_EPOCHS, a usage error naming the flag past it."""
    from carrousel.core.config import MAX_EPOCHS

    ranged = [
        ((prog, *path), opt, (param.min, param.max))  # type: ignore[attr-defined]
        for prog, *path in COMMANDS
        for param in _params(prog, tuple(path))
        for opt in getattr(param, "opts", [])
        if opt in ("--epochs", "--finetune-epochs")
    ]
    assert {where[0] for where, _, _ in ranged} == set(PROGRAMS), ranged
    assert len(ranged) >= 12, ranged
    assert [(where, opt) for where, opt, bounds in ranged if bounds != (1, MAX_EPOCHS)] == []
    for where, opt, _ in ranged:
        assert_clean_failure(invoke(*where, opt, str(MAX_EPOCHS + 1)), 2, opt)


def test_a_clean_failure_leaves_stdout_empty() -> None:
    """The harness's assert_clean_failure said "no result on stdout" and never looked at stdout: a command
    that printed (part of) a result and then failed passed it. Errors go to stderr and no command promises
    a JSON error document on stdout (README, "streams" and ``--json``), so a failure's stdout is empty."""
    failed = Outcome(1, "", "error: p.csv: no such file; check the path\n")
    assert_clean_failure(failed, 1, "no such file")
    for printed in ('{"rows": 3}\n', "AAPL  2011-01-03  101.2\n"):
        with pytest.raises(AssertionError, match=r"^a failure printed on stdout"):
            assert_clean_failure(Outcome(1, printed, failed.stderr), 1, "no such file")
