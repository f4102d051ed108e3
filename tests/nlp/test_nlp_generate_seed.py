"""``nlp generate run`` given no ``--seed`` draws one, samples with it and reports it under ``--json``, so the
run can be repeated. Before, ``--json`` reported ``"seed": null`` and the text could not be sampled again;
the library drew its seed with ``torch.seed()``, which also reseeded torch's global generator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch

from carrousel.core.train import draw_seed
from carrousel.nlp.pipeline import TextGenerator
from tests.nlp.conftest import Run


def test_a_run_without_a_seed_reports_the_seed_it_drew(lm_model: Path, nlp: Callable[..., Run]) -> None:
    args = ["generate", "run", "--model", str(lm_model), "--prompt", "The ", "--max-tokens", "30"]
    args += ["--temperature", "1.5", "--json"]
    first = nlp(*args)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    seed = report["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**31
    again = nlp(*args, "--seed", str(seed))
    assert again.returncode == 0 and json.loads(again.stdout)["text"] == report["text"]
    assert json.loads(again.stdout)["seed"] == seed
    other = json.loads(nlp(*args).stdout)
    assert other["seed"] != seed  # drawn afresh (1 in 2**31 to collide)


def test_sampling_without_a_seed_leaves_torch_s_generator_alone(lm_model: Path) -> None:
    gen = TextGenerator.from_pretrained(lm_model)
    torch.manual_seed(5)
    want = torch.rand(3)
    torch.manual_seed(5)
    "".join(gen.stream("The ", max_tokens=5))
    assert torch.equal(torch.rand(3), want)
    assert len({draw_seed() for _ in range(20)}) > 1
