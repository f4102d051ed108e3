"""Translation ensembles: models of the same pairs and vocabulary decoded as one (``--ensemble``), and
several networks trained into one bundle (``train --members N``)."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from carrousel.core.bundle import load_bundle
from carrousel.nlp.config import (
    DecodeConfig,
    FitConfig,
    TokenizerConfig,
    TranslateDataConfig,
    TranslateNetConfig,
    TranslateTrainConfig,
)
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline.translate import KIND, Translator, train_translator
from carrousel.nlp.pipeline.translate_train import member_workers
from carrousel.nlp.seq2seq_ensemble import Seq2SeqEnsemble, Seq2SeqEnsembleConfig, ensemble_of
from tests.nlp.conftest import Run

PLAIN = DecodeConfig(beam=1, fallback_nll=0.0, mbr=False)  # the networks alone


def _toy_config(pairs: Path, seed: int, members: int, workers: int = 1) -> TranslateTrainConfig:
    """Tiny word-for-word translators on ``pairs``, 6 epochs each, from training seed ``seed`` (the default
    case variation: seeded by the split's seed, so every training seed shares the split and vocabulary)."""
    return TranslateTrainConfig(
        data=TranslateDataConfig(pairs=(str(pairs),)),
        tokenizer=TokenizerConfig("bpe", 150, 1, False),
        model=TranslateNetConfig(embed_dim=32, hidden_size=64, dropout=0.0),
        fit=FitConfig(epochs=6, batch_size=32, lr=1e-2, progress=False, threads=1, seed=seed),
        members=members,
        workers=workers,
    )


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory: pytest.TempPathFactory, toy_pairs: Any) -> Path:
    path = tmp_path_factory.mktemp("mt_pairs") / "pairs.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in sorted(toy_pairs(500, 0))), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory, pairs_file: Path) -> list[Path]:
    """Two single-network bundles on ``word_pairs(500, 0)``, training seeds 1 and 2 (one split and one
    vocabulary: neither the tokenizer nor the case variation depends on the training seed), each trained
    by ``train_translator`` in a fresh spawned process, as ``--workers`` trains members: floats depend on
    the process's state (kernels loaded, threads), which this long test process has changed."""
    root = tmp_path_factory.mktemp("mt_members")
    outs = [root / "seed1", root / "seed2"]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx, max_tasks_per_child=1) as pool:
        list(pool.map(train_translator, [_toy_config(pairs_file, s, 1) for s in (1, 2)], outs))
    return outs


def test_ensemble_beats_the_mean_member_on_unseen_pairs(members: list[Path], toy_pairs: Any) -> None:
    import sacrebleu

    unseen = sorted(toy_pairs(300, 7) - toy_pairs(500, 0))[:150]
    sources, refs = [s for s, _ in unseen], [t for _, t in unseen]
    a, b = (Translator.from_pretrained(m) for m in members)
    both = Translator.from_pretrained(members[0], members=members[1:])
    chrf, bleu = {}, {}
    for name, tr in (("a", a), ("b", b), ("both", both)):
        out = [t.text for t in tr.translate(sources, PLAIN)]
        chrf[name] = sacrebleu.corpus_chrf(out, [refs]).score
        bleu[name] = sacrebleu.corpus_bleu(out, [refs]).score
    # two networks trained 6 epochs from other seeds err in different places: their average errs less than
    # the average member (measured: chrF 79.0 / 59.2 -> 75.5; with the case variation off 57.7 / 62.2 -> 65.0)
    assert chrf["both"] > (chrf["a"] + chrf["b"]) / 2 + 3.0, chrf
    assert bleu["both"] > (bleu["a"] + bleu["b"]) / 2, bleu
    # beam search, batched and one by one agree; the mean attention covers the source
    beam = DecodeConfig(beam=4, fallback_nll=0.0, mbr=False)
    batched = both.translate(sources[:12], beam, attention=True)
    assert [t.text for t in batched] == [both.translate([s], beam)[0].text for s in sources[:12]]
    for t in batched:
        assert t.attention is not None and len(t.attention[0]) == len(t.source_tokens)
        assert all(abs(sum(row) - 1) < 1e-4 for row in t.attention)
    # a model ensembled with itself translates as the model alone
    twin = Translator.from_pretrained(members[0], members=[members[0]])
    assert [t.text for t in twin.translate(sources[:40], beam)] == [
        t.text for t in a.translate(sources[:40], beam)
    ]


def test_members_must_share_the_vocabulary(members: list[Path]) -> None:
    main_bundle, other = load_bundle(members[0], kind=KIND), load_bundle(members[1], kind=KIND)
    assert main_bundle.files["tokenizer.json"] == other.files["tokenizer.json"]  # training seeds share it
    other.files["tokenizer.json"] = other.files["tokenizer.json"].replace(b"Datei", b"Dxtei")
    with pytest.raises(NLPConfigError, match=r"member m2 has another vocabulary \(tokenizer.json"):
        Translator(main_bundle, [other], ["m2"])
    other = load_bundle(members[1], kind=KIND)
    other.assets["tgt"] = "fr"
    with pytest.raises(NLPConfigError, match="differs from the main model in tgt"):
        Translator(main_bundle, [other], ["m2"])


def test_cli_ensemble(members: list[Path], cli_model: Path, nlp: Callable[..., Run]) -> None:
    texts = ["read the file now", "show all old name"]
    r = nlp(
        "translate", "run", "--model", str(members[0]), "--ensemble", str(members[1]),
        "--beam", "3", "--json", *texts,
    )  # fmt: skip
    assert r.returncode == 0
    got = [t["text"] for t in json.loads(r.stdout)["translations"]]
    both = Translator.from_pretrained(members[0], members=members[1:])
    assert got == [t.text for t in both.translate(texts, DecodeConfig(beam=3))]
    r = nlp(
        "translate", "evaluate", "--model", str(members[0]), "--ensemble", str(members[1]),
        "--pairs", str(load_bundle(members[0], kind=KIND).data["pairs"][0]), "--split", "valid", "--json",
    )  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout)["pairs"] > 0
    r = nlp("translate", "run", "--model", str(members[0]), "--ensemble", str(cli_model), "x")
    assert r.returncode == 1 and not r.stdout and r.stderr.count("\n") == 1, r.stderr
    assert "another vocabulary" in r.stderr


@pytest.fixture(scope="module")
def cli_model(toy_translator: Path) -> Path:
    """A toy translator of other pairs (so another vocabulary)."""
    return toy_translator


def test_train_seed_makes_a_member(cli_model: Path, tmp_path: Path, nlp: Callable[..., Run]) -> None:
    from translate_toys import cli_translator

    other = cli_translator(tmp_path, "--train-seed", "1")
    a, b = load_bundle(cli_model, kind=KIND), load_bundle(other, kind=KIND)
    assert a.files["tokenizer.json"] == b.files["tokenizer.json"] and a.assets["split"] == b.assets["split"]
    assert a.data["seed"] == 0 and b.data["seed"] == 1
    wa, wb = a.model.state_dict(), b.model.state_dict()  # type: ignore[union-attr]
    assert any(not torch.equal(wa[k], wb[k]) for k in wa)  # another training, the same split and vocabulary
    r = nlp("translate", "run", "--model", str(cli_model), "--ensemble", str(other), "open the file")
    assert r.returncode == 0 and r.stdout.strip()


@pytest.mark.usefixtures("quick_latency")
def test_an_exported_member_decodes_as_the_eager_one(members: list[Path], tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from carrousel.nlp.config import TranslateExportConfig
    from carrousel.nlp.pipeline.translate_deploy import export_translator

    export_translator(TranslateExportConfig(str(members[1]), "fp32", limit=0), tmp_path / "fp32")
    texts = ["read the file now", "show all old name", "copy the new list"]
    dc = DecodeConfig(beam=3)
    eager = Translator.from_pretrained(members[0], members=members[1:]).translate(texts, dc)
    mixed = Translator.from_pretrained(members[0], members=[tmp_path / "fp32"]).translate(texts, dc)
    assert [t.text for t in mixed] == [t.text for t in eager]
    assert [t.score for t in mixed] == pytest.approx([t.score for t in eager], abs=1e-3)


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory, pairs_file: Path) -> Path:
    """``members=2`` from training seed 1, trained in two processes: one bundle holding the networks of
    seeds 1 and 2."""
    out = tmp_path_factory.mktemp("mt_packed") / "m"
    result = train_translator(_toy_config(pairs_file, 1, 2, workers=2), out)
    assert [m.seed for m in result.members] == [1, 2] and result.epochs == result.members[0].epochs
    rows = csv.DictReader((out / "history.csv").read_text().splitlines())  # every member's epochs, in order
    want = [(str(k), str(e)) for k, m in enumerate(result.members, 1) for e in range(1, m.epochs + 1)]
    assert [(r["member"], r["epoch"]) for r in rows] == want and (out / "training.png").is_file()
    return out


def test_members_train_the_lone_seeds_networks_into_one_bundle(packed: Path, members: list[Path]) -> None:
    bundle = load_bundle(packed, kind=KIND)
    assert isinstance(bundle.model, Seq2SeqEnsemble) and bundle.model.config.seed == 1
    # member i: seed 1 + i, bit for bit the lone run of that seed (each in a fresh process)
    for net, alone in zip(bundle.model.members, members, strict=True):
        want = load_bundle(alone, kind=KIND).model.state_dict()
        got = net.state_dict()
        assert sorted(got) == sorted(want) and all(torch.equal(got[k], want[k]) for k in want)
    assert bundle.files == load_bundle(members[0], kind=KIND).files  # one vocabulary, dictionary, lexicon
    texts = ["read the file now", "show all old name", "copy the new list", "open a file"]
    dc = DecodeConfig(beam=3)
    one = Translator.from_pretrained(packed).translate(texts, dc, attention=True)
    two = Translator.from_pretrained(members[0], members=members[1:]).translate(texts, dc, attention=True)
    assert [(t.text, t.score, t.attention) for t in one] == [(t.text, t.score, t.attention) for t in two]
    # an ensemble bundle is also a member: with itself it decodes as itself
    twin = Translator.from_pretrained(packed, members=[packed]).translate(texts, dc)
    assert [t.text for t in twin] == [t.text for t in one]


@pytest.mark.usefixtures("quick_latency")
def test_an_ensemble_bundle_exports_every_member(packed: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from carrousel.nlp.config import TranslateExportConfig
    from carrousel.nlp.pipeline.translate_deploy import export_translator

    report = export_translator(TranslateExportConfig(str(packed), "fp32", limit=0), tmp_path / "fp32")
    exported = load_bundle(tmp_path / "fp32", kind=KIND)
    parts = exported.assets["export"]["parts"]
    assert {"encoder", "member1", "member1_encoder"} <= set(parts) and exported.assets["export"][
        "members"
    ] == 2
    texts = ["read the file now", "show all old name", "copy the new list"]
    dc = DecodeConfig(beam=3)
    eager = Translator.from_pretrained(packed).translate(texts, dc)
    deployed = Translator.from_pretrained(tmp_path / "fp32")
    assert len(deployed.members) == 1 and type(deployed.members[0]).__name__ == "OnnxSeq2Seq"
    got = deployed.translate(texts, dc)
    assert [t.text for t in got] == [t.text for t in eager]
    assert [t.score for t in got] == pytest.approx([t.score for t in eager], abs=1e-3)
    assert report.parameters == sum(p.numel() for p in load_bundle(packed, kind=KIND).model.parameters())


def test_cli_members(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    from translate_toys import cli_translator

    out = cli_translator(tmp_path, "--members", "2", "--workers", "1")  # one process, one after another
    bundle = load_bundle(out, kind=KIND)
    assert isinstance(bundle.model, Seq2SeqEnsemble) and len(bundle.model.members) == 2
    r = nlp("translate", "run", "--model", str(out), "--json", "open the file")
    want = Translator.from_pretrained(out).translate(["open the file"], DecodeConfig())
    assert r.returncode == 0 and json.loads(r.stdout)["translations"][0]["text"] == want[0].text
    r = nlp("translate", "train", "--pairs", "p.tsv", "-o", str(tmp_path / "x"), "--members", "0")
    assert r.returncode == 2 and "--members" in r.stderr and not (tmp_path / "x").exists()


def test_ensemble_configs_are_checked(members: list[Path]) -> None:
    nets = [load_bundle(m, kind=KIND).model for m in members]
    with pytest.raises(NLPConfigError, match="at least 2 members"):
        Seq2SeqEnsembleConfig(nets[0].config, members=1)  # type: ignore[arg-type]
    with pytest.raises(NLPConfigError, match="at least two networks"):
        ensemble_of(nets[:1], 0)  # type: ignore[arg-type]
    with pytest.raises(NLPConfigError, match="members must be within 1-16"):
        TranslateTrainConfig(TranslateDataConfig(pairs=("x.tsv",)), members=0)
    base = TranslateTrainConfig(TranslateDataConfig(pairs=("x.tsv",)))
    fit = replace(base.fit, device="cpu")
    assert member_workers(replace(base, fit=fit, workers=5)) == 3  # at most one per member
    assert member_workers(replace(base, fit=fit, members=1)) == 1
    assert member_workers(replace(base, fit=replace(fit, threads=0))) == 1  # torch's threads: all cores
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert member_workers(replace(base, fit=fit)) == max(1, min(3, cores))


def test_member_workers_under_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under torchrun the spawned member processes joined its process group as duplicate ranks and hung;
    now the members train one after another (each on every process), and ``--workers N`` says why not."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    base = TranslateTrainConfig(TranslateDataConfig(pairs=("x.tsv",)))
    fit = replace(base.fit, device="cpu")
    assert member_workers(replace(base, fit=fit)) == 1  # auto: one process, not one per core
    assert member_workers(replace(base, fit=fit, workers=1)) == 1
    with pytest.raises(NLPConfigError, match=r"workers=2 .* cannot run under torchrun; give workers=1"):
        member_workers(replace(base, fit=fit, workers=2))
