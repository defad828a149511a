# The README's two commands: `make run` and `make test`. Both create the environment on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
LAMELLA := $(VENV)/bin/lamella
EXAMPLE := examples/workflows/nanoparticle-size-distribution.yaml

.PHONY: run test lint schema bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

# Build-backend chatter goes to a log, shown only if the install fails.
$(VENV)/.installed: pyproject.toml | $(PY)
	@echo "Installing lamella into $(VENV) (log: $(VENV)/install.log)"
	@$(PY) -m pip install --quiet -e . > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; false)
	@touch $@

# The test extras include the editor's (Qt, NodeGraphQt) and the ML modules' (torch,
# scikit-learn, onnxruntime). torch goes first, pinned: resolved from the ml extra's range
# alone, pip may choose a multi-GB CUDA build.
TORCH ?= torch==2.13.0
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	@echo "Installing lamella with test, editor and ml extras into $(VENV) (log: $(VENV)/install.log)"
	@($(PY) -m pip install --quiet "$(TORCH)" && $(PY) -m pip install --quiet -e ".[dev,editor,ml]") \
		> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; false)
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(LAMELLA) run $(EXAMPLE) --out results/nanoparticle-size-distribution

test: $(VENV)/.installed-dev
	$(PY) -m pytest

# import-linter reads packages from folders, not through the editable install: lint a
# folder laid out as the wheel installs it (lamella/core, lamella/runner).
LAYOUT := build/layout
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check core runner editor modules module_templates tests benchmarks
	@rm -rf $(LAYOUT) && mkdir -p $(LAYOUT)/lamella && touch $(LAYOUT)/lamella/__init__.py
	@ln -s $(CURDIR)/core $(LAYOUT)/lamella/core && ln -s $(CURDIR)/runner $(LAYOUT)/lamella/runner
	@ln -s $(CURDIR)/editor $(LAYOUT)/lamella/editor
	PYTHONPATH=$(LAYOUT) $(VENV)/bin/lint-imports
	$(VENV)/bin/mypy core runner editor

schema: $(VENV)/.installed
	$(PY) -m lamella.core._schema

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) results build *.egg-info
