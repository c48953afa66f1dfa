# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/corpus
EXAMPLE := examples/data-mix-ablation.pdf

.PHONY: demo test app eval bench example lint browser clean

# The virtual environment with screener installed (editable) and its runtime dependencies.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# Development extras (pytest, hypothesis, ruff), the app's (streamlit) and Ray's on top.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,app,ray]'
	touch $@

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
