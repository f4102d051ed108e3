"""A domain README (nlp, finance, speech, bio) is the user guide (the PyPI page); its measurement record is in
packages/<domain>/docs/ (bio's: its export's; the others stay beside the parts they measure).

Before, the READMEs were 1,400-3,100 lines: how to train, predict, evaluate or export sat among pages of
experiment logs. The figure sections moved verbatim to docs/results*.md; these tests hold the two together, for
every domain alike: every relative link (README -> docs, docs -> README, docs -> docs) reaches a file and a
heading, the README keeps a results table per pipeline that links its record, the moved sections are in docs
and not in the README, the commands reference lists every command and option of the CLI, and nlp's Python and
TOML blocks run.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from typer.main import get_command

PACKAGES = Path(__file__).resolve().parents[1] / "packages"
DOMAINS = ("nlp", "finance", "speech", "bio")
PAGES = [
    p for d in DOMAINS for p in (PACKAGES / d / "README.md", *sorted((PACKAGES / d / "docs").glob("*.md")))
]
# The sections moved out of each README: in its docs pages once, not in the README.
MOVED = {
    "bio": (
        "Measured with `python benchmarks/bench_export.py --parts bio` (1 thread, 2 shared cores; the shipped",
        "**bf16** (not an export format: the PyTorch network under bf16 autocast through core's `predict`; `bio\n"
        'scan|evaluate --precision bf16`, `load_model(path, precision="bf16")`; fp16 needs a GPU): held-out AUROC',
        "Before the int8 convolution and the MaxPool graph, in one run (`bench_export.py --parts bio` with",
        "`python benchmarks/bench_export.py --parts bio --prune 0.5` (the panel; the same held-out Oct4 vs Mafk",
        "Choices, made on the held-out fifth of the planted windows (the panel's, 12,473 training and 3,127 held",
        "**Fewer filters too** (`--distill 8 --distill-filters N`; the panel has 64 filters, 48 of them seeded with",
    ),
    "nlp": (
        "### Figures (`python benchmarks/bench_nlp_sentiment.py`)",
        "### Figures (`python benchmarks/bench_nlp_generate.py`)",
        "### Figures\n",
        "### Against the new dictionary: German, and a third language (French)",
        "Weight averaging, tried and not adopted (#13",
        "**Fallback per clause, tried and not adopted**",
    ),
    "finance": (
        "**bf16 training** (`finance forecast|backtest|train-global --precision bf16`",
        "**Pruned variant** (`finance export --model-dir fc/ -o fc-p50/ --prune 0.5",
        "**Scaling** (`python benchmarks/bench_finance_global.py scaling",
        "**Tried, not adopted: forecast combination of the two networks**",
        "**Choosing the target scale** on the validation period",
        "## The sample series (AAPL, IBM, MSFT, GOOG)",
        "**Warm-started refits: kept opt-in**",
    ),
    "speech": (
        "**v5, numbers said alone (tried 2026-12-05, not adopted;",
        "**v7, pauses inside an utterance (tried 2026-12-06, not adopted;",
        "**Accuracy** (`python benchmarks/bench_speech_accuracy.py [--model DIR]`",
        "**Speed** (`python benchmarks/bench_speech.py --threads 1`",
        "**Pruned variant** (`speech export -o DIR --prune 0.25",
        "**Distilled variant** (`speech export -o DIR --distill H",
    ),
}
# Each README's results tables: (domain, the heading's name, the record it links).
RESULTS = [
    ("nlp", "Sentiment", "docs/results-sentiment.md"),
    ("nlp", "Generation", "docs/results-generation.md"),
    ("nlp", "Translation", "docs/results-translation.md"),
    ("finance", "Finance", "docs/results"),
    ("speech", "Speech", "docs/results-shipped.md"),
]
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (outside code blocks), a repeated one numbered as GitHub does."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = _slug(heading)
        out.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return out


def test_slug_is_githubs() -> None:
    assert _slug("Export (`nlp sentiment export`, needs `carrousel-core[export]`)") == (
        "export-nlp-sentiment-export-needs-carrousel-coreexport"
    )
    assert _slug("Mixed-precision training (`--precision`)") == "mixed-precision-training---precision"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PACKAGES)))
def test_every_relative_link_reaches_a_file_and_a_heading(page: Path) -> None:
    links = [m.group(1) for m in LINK.finditer(page.read_text(encoding="utf-8"))]
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert local, page  # each page links the others
    broken = []
    for link in local:
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.is_file():
            broken.append(f"{link}: no such file")
        elif anchor and anchor not in _anchors(path):
            broken.append(f"{link}: no heading #{anchor} in {path.name}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(("domain", "name", "record"), RESULTS, ids=[r[1] for r in RESULTS])
def test_readme_has_one_results_table_per_pipeline_linking_its_record(
    domain: str, name: str, record: str
) -> None:
    text = (PACKAGES / domain / "README.md").read_text(encoding="utf-8")
    section = text.split(f"### {name} results\n", 1)[1].split("\n#", 1)[0]
    assert f"]({record}" in section
    assert section.count("\n|---") == 1  # one table
    assert "`python benchmarks/" in section or f"`{domain} " in section  # the command behind it


@pytest.mark.parametrize("domain", DOMAINS)
def test_measurement_sections_live_in_docs_not_in_the_readme(domain: str) -> None:
    """The figure sections (per-seed tables, tried-and-not-adopted runs) are the docs' pages, once."""
    readme = (PACKAGES / domain / "README.md").read_text(encoding="utf-8")
    docs = "\n".join(p.read_text(encoding="utf-8") for p in sorted((PACKAGES / domain / "docs").glob("*.md")))
    for heading in MOVED[domain]:
        assert heading not in readme and docs.count(heading) == 1, heading
    assert len(readme.splitlines()) < 2000


@pytest.mark.parametrize("domain", DOMAINS)
def test_commands_reference_lists_every_command(domain: str) -> None:
    from carrousel_devdata.readme_commands import leaves

    app = importlib.import_module(f"carrousel.{domain}.cli").app
    text = (PACKAGES / domain / "README.md").read_text(encoding="utf-8")
    commands = dict(leaves(get_command(app), [domain]))
    assert len(commands) >= 8
    missing = [c for c in commands if f"### `{c}`\n" not in text]
    assert not missing, missing
    absent = []
    # each option of the command is a row of its table (--json, -v, -q: said once)
    for name, cmd in commands.items():
        section = text.split(f"### `{name}`\n", 1)[1].split("\n### ", 1)[0]
        for param in cmd.params:
            names = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
            if names and names[0] not in ("--json", "--verbose", "--quiet", "--help"):
                absent += [f"{name} {o}" for o in names if f"`{o}`" not in section]
    assert not absent, absent


def _one_block(domain: str, language: str) -> str:
    blocks = re.findall(
        rf"```{language}\n(.*?)```", (PACKAGES / domain / "README.md").read_text(encoding="utf-8"), flags=re.S
    )
    assert len(blocks) == 1, (domain, language, len(blocks))
    return blocks[0]


def test_readme_python_block_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's Python block as written: the shipped model's two predictions, as its comment states."""
    block = _one_block("nlp", "python")
    exec(compile(block, "nlp-README-python", "exec", dont_inherit=True), {"__name__": "nlp_readme"})
    assert capsys.readouterr().out.split("\n")[:2] == ["positive 0.991", "negative 0.913"]


def test_readme_config_block_reaches_the_sentiment_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The README's TOML block as written is a `nlp sentiment train --config` file whose values reach the run."""
    from carrousel.nlp.cli import app
    from carrousel.nlp.pipeline import sentiment
    from tests.cli_harness import config_of

    conf = tmp_path / "run.toml"
    conf.write_text(_one_block("nlp", "toml"), encoding="utf-8")
    argv = ["sentiment", "train", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = config_of(monkeypatch, app, sentiment, "train_sentiment", *argv)
    assert cfg.data.source == "reviews.csv" and cfg.model.hidden_size == 96
    assert (cfg.fit.epochs, cfg.fit.threads, cfg.fit.precision) == (20, 1, "fp32")


def test_finance_readme_config_block_reaches_the_backtest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """finance's TOML block as written is a `finance backtest --config` file whose values reach the run."""
    from tests.finance.test_finance_config_file import finance_config_of

    conf = tmp_path / "run.toml"
    conf.write_text(_one_block("finance", "toml"), encoding="utf-8")
    module = "carrousel.finance.pipeline"
    cfg = finance_config_of(monkeypatch, module, "backtest", "backtest", "--config", str(conf))
    assert cfg.data.tickers == ("AAPL",) and cfg.data.source == "sample"
    assert (cfg.window.horizon, cfg.window.lookback, cfg.model.arch, cfg.model.members) == (5, 30, "lstm", 3)
    assert (cfg.train.epochs, cfg.backtest.test_days, cfg.backtest.refit_every) == (10, 500, 250)


def test_speech_readme_config_block_reaches_the_training(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """speech's TOML block as written is a `speech train --config` file whose values reach the run (its `data`
    trains without `--data`)."""
    from carrousel.speech.cli import app
    from tests.cli_harness import config_of

    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "manifest.tsv").write_text("path\ttranscript\n", encoding="utf-8")
    conf = tmp_path / "run.toml"
    conf.write_text(_one_block("speech", "toml"), encoding="utf-8")
    argv = ["train", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = config_of(monkeypatch, app, "carrousel.speech.pipeline", "train", *argv)
    assert [str(d) for d in cfg.data] == ["corpus/manifest.tsv"]
    assert (cfg.hidden, cfg.layers, cfg.epochs, cfg.lr, cfg.batch_seconds, cfg.seed) == (
        160,
        2,
        12,
        0.003,
        32.0,
        0,
    )
    assert cfg.threads == 1


def test_speech_readme_python_block_transcribes_as_it_states(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """speech's Python block as written, on the recording its text names (espeak-ng's "seven three nine two")."""
    import shutil
    import subprocess

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (make system)")
    monkeypatch.chdir(tmp_path)
    subprocess.run(["espeak-ng", "-w", "call.wav", "seven three nine two"], check=True)
    block = _one_block("speech", "python")
    exec(compile(block, "speech-README-python", "exec", dont_inherit=True), {"__name__": "speech_readme"})
    assert capsys.readouterr().out.startswith("seven three nine two [('seven', ")


@pytest.mark.parametrize("domain", DOMAINS)
def test_commands_reference_gives_each_command_its_json_keys(domain: str) -> None:
    """Each command's section lists its `--json` keys in the form ``tests/readme_json.py`` reads (compared
    with the printed keys in tests/<domain>/test_<domain>_readme_json.py), and each default cell is whole:
    a help text's ``[default: [data] files of --config]`` was cut at its first ``]`` (``[data``)."""
    from tests.readme_json import listed

    text = (PACKAGES / domain / "README.md").read_text(encoding="utf-8")
    commands = re.findall(rf"^### `({domain} [^`]+)`\n", text, flags=re.M)
    assert len(commands) >= 8
    unlisted = [c for c in commands if not listed(domain, c)["keys"]]
    assert not unlisted, unlisted
    cells = [
        row.split(" | ")[1] for row in re.findall(r"^\| `-.*$", text, flags=re.M) if row.count(" | ") >= 2
    ]
    cut = [c for c in cells if c.count("[") != c.count("]")]
    assert not cut, cut
