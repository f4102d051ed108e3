"""The ``bio`` command line through typer's CliRunner: scan outputs, --json, clear one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from carrousel.bio.choices import Method
from carrousel.bio.cli import app
from carrousel.bio.config import DiscoverConfig, EvaluateConfig, ScanConfig
from carrousel.bio.errors import DiscoverConfigError, EvaluateConfigError, ScanConfigError
from carrousel.bio.motifs import resolve_motifs

runner = CliRunner()


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.startswith("carrousel-bio ")


def test_scan_pwm_bed_to_stdout_and_files(tmp_path, write_fasta) -> None:
    site = resolve_motifs("CTCF")[0].consensus()
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGTTGCA" * 20 + site + "TTGA" * 30, "chr2": "acgtn" * 50})
    res = runner.invoke(app, ["scan", str(fa), "--motif", "CTCF", "--background", "uniform"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0].split("\t")[:3] == ["chr1", "160", str(160 + len(site))]
    out = tmp_path / "hits.gff3"
    res = runner.invoke(app, ["scan", str(fa), "-m", "MA0139.2", "-o", str(out), "--json", "--no-progress"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["records"] == 2 and summary["bases"] == 160 + len(site) + 120 + 250
    assert summary["hits_per_motif"]["MA0139.2"]["hits"] >= 1
    assert out.read_text().startswith("##gff-version 3")
    tsv = tmp_path / "hits.tsv"
    assert runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "-o", str(tsv), "--qvalue", "1"]).exit_code == 0
    assert tsv.read_text().splitlines()[0].startswith("motif_id\tmotif_alt_id\tsequence_name")


def test_scan_background_is_uniform_by_default_and_input_on_request(tmp_path, write_fasta) -> None:
    """Like FIMO, PWM scores and p-values are against equal base probabilities unless --background input
    asks for the file's composition; the choice is in the JSON summary."""
    site = resolve_motifs("CTCF")[0].consensus()
    fa = write_fasta(tmp_path / "at.fa", {"chr1": "AAATTTATAT" * 30 + site + "ATTA" * 40})
    res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--json"])
    assert res.exit_code == 0, res.output
    uniform = json.loads(res.stdout)
    assert uniform["background_kind"] == "uniform" and uniform["background"] == [0.25] * 4
    res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--background", "input", "--json"])
    assert res.exit_code == 0, res.output
    own = json.loads(res.stdout)
    a, c, g, t = own["background"]
    assert own["background_kind"] == "input" and a == t and c == g and a > 0.4  # AT-rich, symmetrised
    assert ScanConfig().background == "uniform"


def test_scan_json_reports_the_background_order(tmp_path, write_fasta) -> None:
    """Before: ``--background-order 1`` gave ``background_kind: "input"`` and the base frequencies alone, the
    same JSON as order 0, though every score and p-value is against the 1st-order background."""
    site = resolve_motifs("CTCF")[0].consensus()
    fa = write_fasta(tmp_path / "at.fa", {"chr1": "AAATTTATAT" * 30 + site + "ATTA" * 40})
    n_only = write_fasta(tmp_path / "n.fa", {"n1": "N" * 300})
    want = {(fa, "1"): ("input", 1), (fa, "0"): ("input", 0), (n_only, "1"): ("uniform", 0)}
    for (path, order), (kind, said) in want.items():
        args = ["scan", str(path), "-m", "CTCF", "--background", "input", "--background-order", order]
        res = runner.invoke(app, [*args, "--json"])
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        assert (doc["background_kind"], doc["background_order"]) == (kind, said), (path, order)
    assert (
        json.loads(runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--json"]).stdout)["background_order"]
        == 0
    )
    res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--background", "input", "--background-order", "1",
                              "-o", str(tmp_path / "h.bed")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "(PWM background input, order 1)" in res.stdout


def test_errors_are_one_clear_line(tmp_path) -> None:
    bad = tmp_path / "bad.fa"
    bad.write_text(">r1\nACGT\n>r2\nAC*T\n")
    res = runner.invoke(app, ["scan", str(bad), "-m", "CTCF"])
    assert res.exit_code == 1
    assert "record 'r2', position 3" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["scan", str(tmp_path / "missing.fa"), "-m", "CTCF"])
    assert res.exit_code == 1 and "not found" in res.output
    res = runner.invoke(app, ["scan", str(bad), "-m", "NOT_A_TF_NAME"])
    assert res.exit_code == 1 and "no JASPAR motif named" in res.output
    res = runner.invoke(app, ["scan", str(bad), "-m", "CTCF", "--method", "magic"])
    assert res.exit_code == 2 and "'magic' is not one of 'pwm', 'model', 'both'" in res.output  # usage error
    with pytest.raises(ScanConfigError, match="method must be"):  # the same check for Python callers
        ScanConfig(method="magic")
    res = runner.invoke(app, ["scan", str(bad), "--method", "model", "--model", str(tmp_path)])
    assert res.exit_code == 1 and "not a carrousel-bio model folder" in res.output


def test_evaluate_pwm_only_json(oct4_fa, mafk_fa) -> None:
    res = runner.invoke(
        app,
        [
            "evaluate",
            "--positives",
            str(oct4_fa),
            "--negatives",
            str(mafk_fa),
            "--pwm-only",
            "-m",
            "MAFK",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["positives"] == 3897 and out["negatives"] == 3900
    assert out["best_pwm"]["auroc"] < 0.5  # MAFK marks the negatives: its score ranks them higher


def test_background_input_of_an_n_only_file_reports_the_uniform_it_used(tmp_path, write_fasta) -> None:
    """An all-N file has no composition to take: the scan used the uniform background but reported
    background_kind 'input'; it now reports 'uniform' and warns why."""
    fa = write_fasta(tmp_path / "n.fa", {"n1": "N" * 300})
    res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--background", "input", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["background_kind"] == "uniform" and out["background"] == [0.25] * 4
    assert "no A, C, G or T to count; the PWM background is uniform" in res.stderr


def test_a_model_beside_motifs_in_a_pwm_scan_is_refused(invoke, tmp_path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    """'bio scan G --method pwm -m CTCF --model X' scanned CTCF and ignored X without a word (a file of
    random bytes as --model gave exit 0); now one line naming the three ways out, before any work."""
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)))
    outcome = invoke("bio", "scan", fa, "--method", "pwm", "-m", "CTCF", "--model", junk)
    assert outcome.code in (1, 2) and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and "is not used by a PWM scan of --motif motifs" in lines[0], outcome.stderr
    with pytest.raises(ScanConfigError, match=r"of motifs; drop model, .* or use method='model' or both$"):
        ScanConfig(motifs=("CTCF",), model=str(junk))
    ScanConfig(motifs=("CTCF",), model=str(junk), method=Method.both)  # the network runs: no error


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["-m", "CTCF", "--model-background", "BG"], "--model-background BG is not used by a PWM scan"),
        (["--method", "model", "--qvalue", "0.01"], "--qvalue 0.01 is not used by a model scan"),
        (["--method", "model", "--exact-qvalues"], "--exact-qvalues is not used by a model scan"),
        (["-m", "CTCF", "--background-order", "1"], "--background-order 1 is not used by the uniform"),
    ],
)
def test_a_scan_option_its_method_never_reads_is_refused(  # type: ignore[no-untyped-def]
    invoke, tmp_path, write_fasta, flags, needle
) -> None:
    """Each of these ran with exit 0 and the option ignored without a word (a PWM scan with a model's
    background null, a model scan with the PWM method's q-value threshold or exact q-values, a uniform
    background of 'order 1'); now one line naming the option and the ways out, before any work."""
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    bg = write_fasta(tmp_path / "BG", {"b1": "ACGT" * 100})
    outcome = invoke("bio", "scan", fa, *[str(bg) if f == "BG" else f for f in flags])
    assert outcome.code == 1 and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and needle.replace("BG", str(bg)) in lines[0], outcome.stderr
    with pytest.raises(ScanConfigError, match="is not used by"):  # from Python too, method as a string
        ScanConfig(method="model", qvalue=0.01)
    with pytest.raises(ScanConfigError, match="is not used by a PWM scan"):
        ScanConfig(method="pwm", motifs=("CTCF",), model="m")
    ScanConfig(method="both", qvalue=0.01, exact_qvalues=True, model_background="bg.fa")  # all read
    ScanConfig(motifs=("CTCF",), background="input", background_order=1)


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["-m", "CTCF", "--model-null", "genome"], "--model-null genome is not used by a PWM scan"),
        (
            ["-m", "CTCF", "--model-calls", "auto"],
            "--model-calls auto is not used by a PWM scan",
        ),  # the default
        (["--method", "pwm", "--model-qvalue", "0.01"], "--model-qvalue 0.01 is not used by a PWM scan"),
        (["-m", "CTCF", "--model-pvalue", "0.05"], "--model-pvalue 0.05 is not used by a PWM scan"),
        (["-m", "CTCF", "--model-calls", "fdr", "--config", "RUN"], "--model-calls fdr is not used"),
        (["-m", "CTCF", "--device", "cpu"], "--device cpu is not used by a PWM scan"),  # no network runs
        (["-m", "CTCF", "--precision", "bf16"], "--precision bf16 is not used by a PWM scan"),
    ],
)
def test_a_model_option_typed_in_a_pwm_scan_is_a_usage_error(  # type: ignore[no-untyped-def]
    invoke, tmp_path, write_fasta, flags, needle
) -> None:
    """Each ran a PWM scan with exit 0 and the model's option ignored without a word (their defaults are
    values, so only one typed, even at its default, or set by the --config file counts; --device and
    --precision are the network's, which a PWM scan never runs); now one usage line naming it and the way
    out, exit 2, before any work. The same options in a model or both scan are read. Typed beside a
    --config file that sets one too, the typed one is the usage error (the file's alone: exit 1, naming the
    file, tests/bio/test_bio_config_file.py; this case was the file's 'calls' alone, exit 2, until then)."""
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    run = tmp_path / "run.toml"
    run.write_text('calls = "fdr"\n')
    outcome = invoke("bio", "scan", fa, *[str(run) if f == "RUN" else f for f in flags])
    assert outcome.code == 2 and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and needle in lines[0] and "--method model or both" in lines[0], outcome.stderr
    assert str(run) not in outcome.stderr  # the command line's own refusal: the file is not named


def test_a_scan_reads_its_config_file_once(tmp_path, write_fasta, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """'bio scan --config F' parsed F twice: for the merge with the flags, and again for the PWM scan's
    refusal of a model option the file sets. Now once (the refusal uses the parsed settings), whether the
    scan runs or the refusal stops it (the file's model option: exit 1 naming the file, core's
    refuse_merged; it was a usage error, exit 2, and 'calls = ...' in the line, until then)."""
    import tomllib
    import types

    import carrousel.core.config as core_config

    reads: list[str] = []

    def loads(text: str) -> dict:
        reads.append(text)
        return tomllib.loads(text)

    monkeypatch.setattr(
        core_config, "tomllib", types.SimpleNamespace(loads=loads, TOMLDecodeError=tomllib.TOMLDecodeError)
    )
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    run = tmp_path / "run.toml"
    for setting, code in (("pvalue = 0.001", 0), ('calls = "fdr"', 1)):
        run.write_text(setting + "\n")
        reads.clear()
        res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--config", str(run), "--no-progress"])
        assert res.exit_code == code, res.output
        assert reads == [setting + "\n"], reads  # before: 2 reads
    assert f"--config {run}: --model-calls fdr is not used by a PWM scan" in res.output, res.output


def test_model_options_in_a_scan_that_reads_them_are_not_refused(invoke, tmp_path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    """The other side of the refusal above: a PWM scan with the model options' defaults, and a both scan
    (the model's side reads them) with one typed, run as before."""
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    assert invoke("bio", "scan", fa, "-m", "CTCF", "--no-progress").code == 0
    both = invoke(
        "bio", "scan", fa, "-m", "CTCF", "--method", "both", "--model-calls", "fdr", "--no-progress"
    )
    assert both.code == 0, both.stderr


def test_a_model_beside_pwm_only_is_refused(invoke, tmp_path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    """'bio evaluate ... --pwm-only -m CTCF --model X' evaluated the PWM and ignored X without a word (a file
    of random bytes as --model gave exit 0); now one line naming both flags, before any work."""
    pos = write_fasta(tmp_path / "p.fa", {f"p{i}": "ACGT" * 50 for i in range(12)})
    neg = write_fasta(tmp_path / "n.fa", {f"n{i}": "TTGA" * 50 for i in range(12)})
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)))
    sets = ("--positives", pos, "--negatives", neg, "--pwm-only", "-m", "CTCF")
    outcome = invoke("bio", "evaluate", *sets, "--model", junk)
    assert outcome.code in (1, 2) and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and "is not used with --pwm-only" in lines[0], outcome.stderr
    with pytest.raises(EvaluateConfigError, match="drop one of them"):
        EvaluateConfig(motifs=("CTCF",), model=str(junk), pwm_only=True)
    assert invoke("bio", "evaluate", *sets, "--json").code == 0  # --pwm-only alone still runs


def test_a_control_beside_a_model_in_discover_is_refused(invoke, tmp_path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    """'bio discover P.fa --control C --model M' read motifs from M and ignored C without a word (C is
    only a training set's negatives); now one line naming both flags, before the model is read."""
    fa = write_fasta(tmp_path / "p.fa", {f"p{i}": "ACGT" * 50 for i in range(12)})
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)))
    out = tmp_path / "out"
    outcome = invoke("bio", "discover", fa, "--control", junk, "--model", tmp_path / "m", "-o", out)
    assert outcome.code in (1, 2) and outcome.stdout == "" and not out.exists(), outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and "is not used with --model" in lines[0], outcome.stderr
    with pytest.raises(DiscoverConfigError, match="nothing is trained"):
        DiscoverConfig(model="m", sequences=str(fa), control=str(junk))
    DiscoverConfig(sequences=str(fa), control=str(junk))  # training on SEQUENCES against C: no error


def test_epochs_beside_a_model_in_discover_is_refused(invoke, tmp_path, write_fasta, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """'bio discover P.fa --model M --epochs 50' read motifs from M and ignored --epochs without a word
    (nothing is trained; the option's default 8 and a given 8 were one value). Now --epochs (or a --config
    file's epochs) beside --model is one line naming both flags, before the model is read; without it the
    field is None, --model runs as before, and a training run takes DiscoverConfig.DEFAULT_EPOCHS."""
    from carrousel.bio import pipeline

    fa = write_fasta(tmp_path / "p.fa", {f"p{i}": "ACGT" * 50 for i in range(12)})
    conf = tmp_path / "run.toml"
    conf.write_text("epochs = 50\n")
    out = tmp_path / "out"
    for extra in (["--epochs", "50"], ["--config", conf]):
        outcome = invoke("bio", "discover", fa, "--model", tmp_path / "m", *extra, "-o", out)
        assert outcome.code in (1, 2) and outcome.stdout == "" and not out.exists(), outcome.stderr
        lines = outcome.error_lines()
        assert len(lines) == 1 and "--epochs 50 is not used with --model" in lines[0], outcome.stderr
    with pytest.raises(DiscoverConfigError, match="drop epochs, or drop model"):
        DiscoverConfig(model="m", epochs=DiscoverConfig.DEFAULT_EPOCHS)  # given, even at the default's value
    assert DiscoverConfig(model="m").epochs is None
    seen: list[int] = []

    def stop(cfg, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(cfg.fit.epochs)
        raise DiscoverConfigError("stopped before training")

    monkeypatch.setattr(pipeline, "train", stop)
    for epochs in (None, 3):
        with pytest.raises(DiscoverConfigError, match="stopped before training"):
            pipeline.discover(
                DiscoverConfig(sequences=str(fa), collection="CTCF", epochs=epochs), tmp_path / "d"
            )
    assert seen == [DiscoverConfig.DEFAULT_EPOCHS, 3] == [8, 3]


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "G", "-m", "CTCF", "--qvalue", "0"],  # was 'qvalue threshold must be in (0, 1], got 0.0'
        ["scan", "G", "-m", "CTCF", "--pvalue", "2"],
        ["scan", "G", "--model-qvalue", "0"],
        ["scan", "G", "--model-pvalue", "1.5"],
        ["enrich", "G", "-m", "CTCF", "--pvalue", "0"],
    ],
)
def test_thresholds_outside_0_1_are_usage_errors_naming_the_flag(invoke, tmp_path, write_fasta, args) -> None:  # type: ignore[no-untyped-def]
    """The configs' checks named a field ('qvalue threshold must be in (0, 1]', exit 1) after the motifs
    were looked up; the option range names the flag (exit 2) before any work."""
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 100})
    outcome = invoke("bio", *[str(fa) if a == "G" else a for a in args])
    flag = next(a for a in args if a.endswith("value"))
    assert outcome.code == 2 and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and f"Invalid value for '{flag}'" in lines[0] and "0<x<=1" in lines[0], lines


def test_scan_by_a_shared_name_says_its_pick_only_with_verbose(tmp_path, write_fasta) -> None:
    """``bio scan -m CTCF`` printed a warning on every run (MA1929.2 and MA1930.2, CTCF's extended motifs,
    share the name) and ``-m VSX2`` scanned the fly profile; the rule's pick is now said at INFO (``-v``)."""
    pytest.importorskip("pyjaspar")
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGTTGCA" * 40})
    for name, picked in (("CTCF", "MA0139.2"), ("VSX2", "MA0726.2")):
        res = runner.invoke(app, ["scan", str(fa), "-m", name, "--json", "--no-progress"])
        assert res.exit_code == 0, res.output
        assert list(json.loads(res.stdout)["tests_per_motif"]) == [picked]
        assert "profiles" not in res.stderr, res.stderr
    res = runner.invoke(app, ["scan", str(fa), "-m", "VSX2", "--json", "--no-progress", "-v"])
    assert "using MA0726.2 (vertebrates), not MA0180.1 (insects)" in " ".join(res.stderr.split())


@pytest.mark.parametrize(
    ("flag", "value", "bound"),
    [
        ("--window", "100001", "100000"),
        ("--per-motif", "1000001", "1000000"),
        ("--n-negatives", "10000001", "10000000"),
        ("--patience", "10001", "10000"),
        ("--batch-size", "1048577", "1048576"),
        ("--filters", "4097", "4096"),
        ("--kernel", "1002", "1001"),
        ("--hidden", "4097", "4096"),
    ],
)
def test_a_train_size_past_its_bound_is_a_usage_error_naming_the_flag(  # type: ignore[no-untyped-def]
    invoke, tmp_path, monkeypatch, flag, value, bound
) -> None:
    """The conventions: a value past an option's named bound is a usage error naming the flag. 'bio train
    --window 200000' passed the option's min=1 and failed in TrainConfig: exit 1, 'window 200,000 is over
    the limit of 100,000' (the field, not the flag); --help showed no upper bound."""
    monkeypatch.chdir(tmp_path)
    outcome = invoke("bio", "train", "--positives", "p.fa", "-o", "m", flag, value)
    assert outcome.code == 2 and outcome.stdout == "", outcome.stderr
    lines = outcome.error_lines()
    assert len(lines) == 1 and f"'{flag}'" in lines[0] and bound in lines[0], outcome.stderr
    assert list(tmp_path.iterdir()) == []
