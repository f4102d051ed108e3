"""``--jaspar-release`` / ``jaspar_release``: every command that takes motifs looks their IDs, names and
collections up in the release given (it reaches pyjaspar); an unknown release is one line listing the
releases pyjaspar ships; a profile only JASPAR2026 has is found by ID and by name; a trained model records
the release its named motifs came from."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio import deploy, pipeline
from carrousel.bio.cli import app
from carrousel.bio.config import (
    DiscoverConfig,
    EnrichConfig,
    EvaluateConfig,
    ExportConfig,
    FitConfig,
    NetworkConfig,
    ScanConfig,
    TrainConfig,
    TrainDataConfig,
)
from carrousel.bio.errors import EnrichConfigError, JasparReleaseError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, check_release, jaspar_db, jaspar_releases
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.scan import scan_genome
from tests.cli_harness import assert_clean_failure

pytest.importorskip("pyjaspar")
runner = CliRunner()
NEW, OLD = "JASPAR2026", "JASPAR2024"  # pyjaspar >= 4.0.0 ships both
if NEW not in jaspar_releases():
    pytest.skip(f"the installed pyjaspar has no {NEW}", allow_module_level=True)


class _SeenError(Exception):
    """Raised by a spy once it has seen the release a command passes on."""


def _releases_asked(monkeypatch, module, resolve: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    """The releases ``module``'s ``resolve_motifs`` is asked for; each call then resolves the motifs
    (``resolve``) or raises :class:`_SeenError`."""
    seen: list[str] = []

    def spy(specs, release=JASPAR_RELEASE):  # type: ignore[no-untyped-def]
        seen.append(release)
        if not resolve:
            raise _SeenError
        return resolve_motifs(specs, release)

    monkeypatch.setattr(module, "resolve_motifs", spy)
    return seen


def test_a_2026_only_profile_is_found_by_id_and_by_name() -> None:
    foxm1, fosb, znf143 = resolve_motifs("MA2469.1,FOSB,ZNF143", NEW)
    assert (foxm1.id, foxm1.name, foxm1.source) == ("MA2469.1", "FOXM1", NEW)
    assert fosb.id == "MA2486.1"  # new in 2026: a CORE vertebrate FOSB (2024's is UNVALIDATED UN0122.2)
    assert znf143.id == "MA0088.3"  # a new version (2024: MA0088.2)
    (old,), (new,) = resolve_motifs("MA0139.2", OLD), resolve_motifs("MA0139.2", NEW)
    assert np.array_equal(old.counts, new.counts)  # CTCF: the same matrix in both


def test_an_unknown_release_is_one_line_listing_pyjaspars(capsys) -> None:
    """pyjaspar itself printed its list to stdout and failed later on a handle without a database."""
    with pytest.raises(JasparReleaseError) as err:
        resolve_motifs("CTCF", "JASPAR2099")
    msg = str(err.value)
    assert "\n" not in msg and "unknown JASPAR release 'JASPAR2099'" in msg
    assert "JASPAR2024" in msg and NEW in msg
    assert capsys.readouterr().out == ""
    assert check_release("jaspar2026") == NEW


def test_cli_scan_takes_the_release_and_refuses_an_unknown_one(tmp_path, write_fasta) -> None:
    site = resolve_motifs("MA2469.1", NEW)[0].consensus()
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGTTGCA" * 20 + site + "TTGA" * 30})
    args = ["scan", str(fa), "-m", "MA2469.1", "--json", "--no-progress"]
    res = runner.invoke(app, [*args, "--jaspar-release", NEW])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hits_per_motif"]["MA2469.1"]["hits"] >= 1
    res = runner.invoke(app, [*args, "--jaspar-release", OLD])  # 2024 has no MA2469
    assert res.exit_code == 1 and f"not found in {OLD}" in res.output
    res = runner.invoke(app, [*args, "--jaspar-release", "JASPAR2099"])
    assert res.exit_code == 2 and res.stdout == ""
    assert "unknown JASPAR release 'JASPAR2099'" in res.output and NEW in res.output


def test_cli_enrich_release_from_the_flag_and_from_a_config_file(tmp_path, write_fasta, monkeypatch) -> None:
    seen = _releases_asked(monkeypatch, pipeline, resolve=True)
    rng = np.random.default_rng(0)
    fa = write_fasta(tmp_path / "t.fa", {f"s{i}": "".join(rng.choice(list("ACGT"), 60)) for i in range(12)})
    toml = tmp_path / "run.toml"
    toml.write_text(f'jaspar_release = "{NEW}"\n')
    for extra in (["--jaspar-release", NEW], ["--config", str(toml)]):
        res = runner.invoke(app, ["enrich", str(fa), "-m", "FOSB", "--json", "--no-progress", *extra])
        assert res.exit_code == 0, res.output
        assert [r["motif_id"] for r in json.loads(res.stdout)["results"]] == ["MA2486.1"]
    assert seen == [NEW, NEW]


@pytest.mark.parametrize("cfg", ["train", "evaluate", "discover"])
def test_every_pipeline_passes_the_release_on(cfg, tmp_path, write_fasta, monkeypatch) -> None:
    seen = _releases_asked(monkeypatch, pipeline)
    rng = np.random.default_rng(0)
    pos, neg = (
        write_fasta(
            tmp_path / f"{k}.fa", {f"s{i}": "".join(rng.choice(list("ACGT"), 250)) for i in range(12)}
        )
        for k in "pn"
    )
    with pytest.raises(_SeenError):
        if cfg == "train":
            data = TrainDataConfig(motifs=("FOSB",), jaspar_release=NEW)
            pipeline.train(TrainConfig(data=data), tmp_path / "m")
        elif cfg == "evaluate":
            ev = EvaluateConfig(
                positives=str(pos), negatives=str(neg), motifs=("FOSB",), pwm_only=True, jaspar_release=NEW
            )
            pipeline.evaluate(ev)
        else:
            pytest.importorskip("logomaker")
            pipeline.discover(DiscoverConfig(sequences=str(pos), jaspar_release=NEW), tmp_path / "d")
    assert seen == [NEW]


def test_the_default_is_the_newest_release() -> None:
    """JASPAR2026 by default (before: 2024, whose FOSB is the UNVALIDATED UN0122.2)."""
    assert JASPAR_RELEASE == NEW == jaspar_releases()[0]
    assert [m.id for m in resolve_motifs("FOSB,ZNF143,CTCF")] == ["MA2486.1", "MA0088.3", "MA0139.2"]
    assert [m.id for m in resolve_motifs("FOSB,ZNF143,CTCF", OLD)] == ["UN0122.2", "MA0088.2", "MA0139.2"]


def test_every_motif_config_has_the_release_default() -> None:
    for cfg in (
        ScanConfig(),
        EnrichConfig(),
        EvaluateConfig(),
        ExportConfig(),
        TrainDataConfig(),
        DiscoverConfig(),
    ):
        assert cfg.jaspar_release == JASPAR_RELEASE


def test_a_trained_model_records_the_release_of_its_named_motifs(tmp_path, monkeypatch) -> None:
    seen: dict[str, object] = {}

    def spy(*args, info=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(info or {})
        raise _SeenError

    monkeypatch.setattr(pipeline, "fit_model", spy)
    data = TrainDataConfig(motifs=("MA2469.1",), jaspar_release=NEW, per_motif=20, n_negatives=20)
    with pytest.raises(_SeenError):
        pipeline.train(TrainConfig(data=data), tmp_path / "m")
    assert seen["jaspar_release"] == NEW


def test_scan_and_enrich_json_record_the_release(tmp_path, write_fasta) -> None:
    """Before, neither --json (nor scan's .json hit file) said which release the motifs came from, so a
    result could not be reproduced once the default changed (JASPAR2024 -> JASPAR2026)."""
    rng = np.random.default_rng(0)
    fa = write_fasta(tmp_path / "t.fa", {f"s{i}": "".join(rng.choice(list("ACGT"), 60)) for i in range(12)})
    for release, given in ((OLD, "jaspar2024"), (NEW, None)):
        flag = ["--jaspar-release", given] if given else []
        hits = tmp_path / f"{release}.json"
        res = runner.invoke(
            app, ["scan", str(fa), "-m", "CTCF", "--json", "--no-progress", "-o", str(hits), *flag]
        )
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["jaspar_release"] == release
        assert json.loads(hits.read_text())["jaspar_release"] == release
        res = runner.invoke(app, ["enrich", str(fa), "-m", "CTCF", "--json", "--no-progress", *flag])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["jaspar_release"] == release


MOTIF_CONFIGS = (ScanConfig, EnrichConfig, EvaluateConfig, ExportConfig, TrainDataConfig, DiscoverConfig)


def test_a_release_is_one_spelling_from_python_as_from_the_cli(tmp_path, write_fasta) -> None:
    """A Python caller's ``jaspar2024`` was kept as typed (the CLI upper-cased it): a scan's or enrichment's
    ``jaspar_release`` and a motif's ``source`` said ``jaspar2024`` or ``JASPAR2024`` depending on the caller."""
    for cls in MOTIF_CONFIGS:
        assert cls(jaspar_release=" jaspar2024").jaspar_release == OLD, cls.__name__
    with pytest.raises(
        EnrichConfigError, match=r"^jaspar_release must be a JASPAR release such as JASPAR2026, not 2024$"
    ):
        EnrichConfig(jaspar_release=2024)  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    fa = write_fasta(tmp_path / "t.fa", {f"s{i}": "".join(rng.choice(list("ACGT"), 60)) for i in range(12)})
    scan = scan_genome(fa, ScanConfig(motifs=("CTCF",), jaspar_release="jaspar2024"))
    enrich = pipeline.enrich(EnrichConfig(targets=str(fa), motifs=("CTCF",), jaspar_release="jaspar2024"))
    assert scan.jaspar_release == enrich.summary()["jaspar_release"] == OLD
    assert [m.source for m in resolve_motifs("CTCF", "jaspar2024")] == [OLD]


def test_a_trained_model_records_the_release_in_one_spelling(tmp_path, write_fasta) -> None:
    """bundle.json of a model trained from Python with ``jaspar_release="jaspar2024"`` said ``jaspar2024``,
    the same run from the CLI ``JASPAR2024``."""
    rng = np.random.default_rng(0)
    pos, neg = (
        write_fasta(tmp_path / f"{k}.fa", {f"s{i}": "".join(rng.choice(list("ACGT"), 60)) for i in range(24)})
        for k in "pn"
    )
    data = TrainDataConfig(
        motifs=("CTCF",), positives=str(pos), negatives=str(neg), window=60, jaspar_release="jaspar2024"
    )
    net, fit = NetworkConfig(filters=4, kernel=9, hidden=4), FitConfig(epochs=1, n_null=50)
    pipeline.train(TrainConfig(data=data, network=net, fit=fit), tmp_path / "py")
    sizes = ["--window", "60", "--epochs", "1", "--filters", "4", "--kernel", "9", "--hidden", "4"]
    args = ["train", "--positives", str(pos), "--negatives", str(neg), "-m", "CTCF", *sizes]
    res = runner.invoke(app, [*args, "--jaspar-release", "jaspar2024", "-o", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    for out in ("py", "cli"):
        assert json.loads((tmp_path / out / "bundle.json").read_text())["data"]["jaspar_release"] == OLD, out


def test_one_database_per_release_however_it_is_spelt() -> None:
    """The cache was keyed by the spelling: ``jaspar2024`` and ``JASPAR2024`` opened two databases."""
    assert jaspar_db("jaspar2024") is jaspar_db(OLD) is jaspar_db(" Jaspar2024 ")
    assert jaspar_db(NEW) is not jaspar_db(OLD)


def test_export_model_passes_the_release_of_its_config_on(tmp_path, monkeypatch, write_fasta) -> None:
    """``export_model`` itself looks the scored motif up in the config's release: a spy on its lookup sees
    the release ExportConfig was given, not the default (the test before called the private ``_auroc`` with
    the release by hand, which proved nothing of export_model)."""
    seen = _releases_asked(monkeypatch, deploy)
    rng = np.random.default_rng(0)
    pos, neg = (
        write_fasta(tmp_path / f"{k}.fa", {f"s{i}": "".join(rng.choice(list("ACGT"), 250)) for i in range(8)})
        for k in "pn"
    )
    cfg = ExportConfig(
        precision="fp32", positives=str(pos), negatives=str(neg), motifs=("ZNF143",), jaspar_release=OLD
    )  # type: ignore[arg-type]
    with pytest.raises(_SeenError):
        deploy.export_model(cfg, tmp_path / "exported")
    assert seen == [OLD]  # ZNF143 is MA0088.2 there, MA0088.3 in the default JASPAR2026


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["scan", "g.fa"], "jaspar_release"),  # a model scan: main never checked the release
        (["scan", "g.fa", "-m", "CTCF"], "jaspar_release"),
        (["enrich", "g.fa"], "jaspar_release"),
        (["evaluate", "--positives", "g.fa", "--negatives", "g.fa"], "jaspar_release"),
        (["export", "-o", "out"], "jaspar_release"),
        (["discover", "--model", "m", "-o", "out"], "jaspar_release"),
        (["train", "-o", "out", "-m", "CTCF"], "[data] jaspar_release"),
    ],
)
def test_an_unknown_release_in_the_config_file_is_one_line_naming_the_file(  # type: ignore[no-untyped-def]
    invoke, tmp_path, monkeypatch, argv, key
) -> None:
    """A typed '--jaspar-release JASPAR2099' is a usage error listing pyjaspar's releases, before any
    work; the same release in a --config file was not checked at the CLI: the lookup said it later without
    the file (exit 1), or the run went on without a word where nothing was looked up. Now one line naming
    the file's key, exit 1, before any work, nothing written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.toml").write_text(
        ("[data]\n" if key.startswith("[") else "") + 'jaspar_release = "JASPAR2099"\n'
    )
    outcome = invoke("bio", *argv, "--config", "r.toml")
    assert_clean_failure(outcome, 1, f"error: {key} in r.toml: unknown JASPAR release 'JASPAR2099'")
    assert NEW in outcome.stderr and not (tmp_path / "out").exists()
