"""bf16 / fp16 inference of generation and translation (``--precision``): on tiny models trained here, bf16
keeps the held-out perplexity within 2% of fp32 and greedy translations mostly identical, the decoding
reads float32 log-probabilities, the options reach the pipelines, an exported bundle and fp16 on the CPU
are refused in one line, and the export reports carry the bf16 task metric."""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

import pytest
import torch

from carrousel.core.errors import ConfigError
from carrousel.nlp.cli import main
from carrousel.nlp.config import DecodeConfig, GenerateConfig, LMDataConfig, LMEvaluateConfig
from carrousel.nlp.pipeline import TextGenerator, evaluate_lm
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.seq2seq_precision import ReducedSeq2Seq
from tests.nlp.translate_toys import COMMANDS, cli_translator

CPU_FP16 = not torch.cuda.is_available()  # fp16 autocast is for GPUs: refused on the CPU


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["nlp", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def _one_line_error(code: int, err: str, expected: str) -> None:
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], err


@pytest.fixture(scope="module")
def translator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy translator trained longer than the other tests' (12 epochs, batches of 16: about 40 s on
    one loaded thread), so that it translates some sentences right (greedy: 10 of the 40 below, fp32 and bf16; bf16's texts
    equal fp32's on 39 greedy and 37 beam-3 of them)."""
    return cli_translator(tmp_path_factory.mktemp("prec"), "--epochs", "12", "--batch-size", "16")


def test_bf16_perplexity_within_two_percent_of_fp32(lm_model: Path, small_text: Path) -> None:
    data = LMDataConfig((str(small_text),), 0.1)
    full = evaluate_lm(LMEvaluateConfig(str(lm_model), data, orders=(1,)))
    half = evaluate_lm(LMEvaluateConfig(str(lm_model), data, orders=(1,), precision="bf16"))
    assert half.precision == "bf16" and full.perplexity < 0.8 * full.baselines["unigram"]  # a real model
    assert abs(half.perplexity - full.perplexity) <= 0.02 * full.perplexity, (half, full)
    gen, ref = (
        TextGenerator.from_pretrained(lm_model, precision="bf16"),
        TextGenerator.from_pretrained(lm_model),
    )
    ids = torch.tensor([gen.tokenizer.encode("Kiyo said that the head teacher was")])
    with torch.no_grad():
        logits, state = gen.model(ids)
        want, _ = ref.model(ids)
    assert logits.dtype == torch.float32 and state.h.dtype == torch.float32  # the state carried in fp32
    assert state.c is not None and state.c.dtype == torch.float32
    assert 0 < (logits - want).abs().max() < 0.5  # bf16 really ran, and stayed close
    with pytest.raises(ConfigError, match="load it with"):  # the precision is the loader's, never ignored
        ref(GenerateConfig(str(lm_model), "The ", 5, precision="bf16"))
    assert len(gen(GenerateConfig(str(lm_model), "The ", 5, temperature=0.0, precision="bf16"))) > 0


def test_generate_options_reach_the_pipeline_and_the_export_reports_bf16(
    lm_model: Path,
    small_text: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _cli(
        monkeypatch, capsys, "generate", "run", "--model", str(lm_model), "-p", "The ", "--max-tokens", "30",
        "--temperature", "0", "--precision", "bf16", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["precision"] == "bf16" and len(doc["text"]) > 0
    code, out, err = _cli(
        monkeypatch, capsys, "generate", "evaluate", "--model", str(lm_model), "-t", str(small_text),
        "--orders", "1", "--precision", "bf16", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["precision"] == "bf16", err
    pytest.importorskip("onnxruntime")
    folder = tmp_path / "lm-fp32"
    code, out, err = _cli(
        monkeypatch, capsys, "generate", "export", "--model", str(lm_model), "-o", str(folder),
        "--text", str(small_text), "--precision", "fp32", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    bf16 = report["bf16"]
    assert math.isfinite(bf16["metric"]) and abs(bf16["metric"] / report["before"] - 1) <= 0.02, report
    assert set(bf16["latency_ms"]) == {"1", "64"}
    code, _, err = _cli(monkeypatch, capsys, "generate", "run", "--model", str(folder), "--precision", "bf16")
    _one_line_error(code, err, "exported (ONNX) model runs its own fp32/int8 file")
    if CPU_FP16:
        code, _, err = _cli(
            monkeypatch, capsys, "generate", "run", "--model", str(lm_model), "--precision", "fp16"
        )
        _one_line_error(code, err, "use --precision bf16")


def _toy_sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(list(COMMANDS)) for _ in range(rng.randint(1, 5))) for _ in range(n)]


def test_bf16_greedy_translations_equal_fp32_on_most_sentences(translator: Path) -> None:
    tr = Translator.from_pretrained(translator)
    sentences = _toy_sentences(40, seed=7)
    references = [" ".join(COMMANDS[w] for w in s.split()) for s in sentences]
    plain = {"mbr": False, "fallback_nll": 0.0}  # the network's own best, as the search left it
    for beam in (1, 3):
        full = tr.translate(sentences, DecodeConfig(beam=beam, **plain))  # type: ignore[arg-type]
        half = tr.translate(sentences, DecodeConfig(beam=beam, precision="bf16", **plain))  # type: ignore[arg-type]
        same = sum(a.model_text == b.model_text for a, b in zip(full, half, strict=True))
        assert same >= 0.85 * len(sentences), [
            (a.model_text, b.model_text) for a, b in zip(full, half, strict=True)
        ]
        right = [sum(t.model_text == r for t, r in zip(ts, references, strict=True)) for ts in (full, half)]
        assert right[0] >= 0.15 * len(sentences) and abs(right[0] - right[1]) <= 2, (
            right
        )  # a model that translates
        assert any(a.score != b.score for a, b in zip(full, half, strict=True))  # bf16 really ran
    network = tr.network
    reduced = ReducedSeq2Seq(network, "bf16")
    src = torch.tensor([tr.tokenizer.encode("open the file")])
    state = reduced.start(src, torch.tensor([src.shape[1]]))
    log_probs, new, _ = reduced.step(torch.tensor([tr.target_tokenizer.bos_id]), state)
    assert (
        log_probs.dtype == torch.float32
        and new.h.dtype == torch.float32
        and state.memory.dtype == torch.float32
    )
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(1), atol=1e-4)  # normalised in float32
    if CPU_FP16:
        with pytest.raises(ConfigError, match="use precision='bf16'"):
            tr.translate(["open the file"], DecodeConfig(precision="fp16"))


def test_translate_options_reach_the_pipeline_and_the_export_reports_bf16(
    translator: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(
        monkeypatch, capsys, "translate", "run", "--model", str(translator), "--precision", "bf16",
        "--beam", "2", "--json", "open the file",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["precision"] == "bf16" and doc["translations"][0]["text"]
    pairs = str(translator.parent / "pairs.tsv")
    code, out, err = _cli(
        monkeypatch, capsys, "translate", "evaluate", "--model", str(translator), "--pairs", pairs,
        "--split", "test", "--beam", "2", "--precision", "bf16", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["precision"] == "bf16" and math.isfinite(doc["bleu"]["greedy"])
    pytest.importorskip("onnxruntime")
    folder = tmp_path / "mt-fp32"
    code, out, err = _cli(
        monkeypatch, capsys, "translate", "export", "--model", str(translator), "-o", str(folder),
        "--precision", "fp32", "--limit", "20", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["metric"] == "BLEU" and report["before"] is not None
    assert math.isfinite(report["bf16"]["metric"]) and abs(report["bf16"]["metric"] - report["before"]) <= 10
    code, _, err = _cli(
        monkeypatch,
        capsys,
        "translate",
        "run",
        "--model",
        str(folder),
        "--precision",
        "bf16",
        "open the file",
    )
    _one_line_error(code, err, "exported (ONNX) model runs its own fp32/int8 file")
