# Every target creates .venv and installs what it needs when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_DATA ?= ../shared/data

.PHONY: setup test serve demo bench clean protos

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@if [ -f tools/gen_protos.py ]; then $(BIN)/python tools/gen_protos.py; fi
	touch $(STAMP)

protos: $(STAMP)
	$(BIN)/python tools/gen_protos.py

test: $(STAMP)
	$(BIN)/python -m pytest -q --durations=10

serve: $(STAMP)
	$(BIN)/anymole serve

demo: $(STAMP)
	$(BIN)/anymole demo --out demo_out

bench: $(STAMP)
	$(BIN)/anymole bench inbetween --data $(SHARED_DATA)/humanoid $(SHARED_DATA)/creatures --lengths 15,30,45 --json bench_inbetween.json

clean:
	rm -rf $(VENV) build *.egg-info
