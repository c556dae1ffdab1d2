# espnet3-prep — the README's first two commands are `make run` and `make test`.
# Everything the project needs is installed from here (venv, Python packages; the
# SLURM test cluster's Debian packages via tools/slurm_localhost.sh).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: install system-deps run test test-fast fuzz lint bench bench-corpora bench-scale slurm-up slurm-down corpus clean help \
	plan demo sweep recipe-demo

help:
	@echo "make run    - install, then prepare the embedded mini LibriSpeech under exp/"
	@echo "make test   - install, start a local SLURM, run the whole test suite"
	@echo "make fuzz   - the generated bad-config and bad-input matrices with many more examples"
	@echo "make lint   - ruff"
	@echo "make bench  - benchmarks (not part of make test)"
	@echo "make bench-corpora - scan speed of the corpus readers on 100k-item layouts"
	@echo "make bench-scale - LibriSpeech-960 scale: 281k utterances, every backend (ARGS=\"--utts N\")"
	@echo "make plan   - dry run on the embedded corpus: sizes, shards, ETA"
	@echo "make demo   - embedded corpus with lhotse + HF exports and exp/.../report.html"
	@echo "make sweep  - Hydra multirun over mel bins x max duration, with sweep_summary.md"
	@echo "make recipe-demo - recipes/generic on the embedded corpus -> recipes/generic/data/"

$(STAMP): pyproject.toml requirements/espnet-no-deps.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "espnet3-prep needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps -r requirements/espnet-no-deps.txt
	$(BIN)/python -m espnet3_prep_torchaudio_hook install
	touch $(STAMP)

# System libraries (Debian packages, as root): FFmpeg for torchcodec, HF datasets' decoder.
system-deps:
	bash tools/install_ffmpeg.sh

install: system-deps $(STAMP)

run: install
	$(BIN)/espnet3-prep $(ARGS)

plan: install
	$(BIN)/espnet3-prep action=plan $(ARGS)

demo: install
	$(BIN)/espnet3-prep 'export=[lhotse,hf]' $(ARGS)

sweep: install
	$(BIN)/espnet3-prep -m feature.num_mel_bins=40,80 cleaner.max_duration=20,30 $(ARGS)

recipe-demo: install
	$(MAKE) -C recipes/generic demo BIN=$(abspath $(BIN))

test: install
	bash tools/run_tests.sh $(ARGS)

test-fast: install
	$(BIN)/pytest -m "not slurm" -q $(ARGS)

fuzz: install
	ESPNET3_PREP_FUZZ=1 $(BIN)/pytest -q -p no:cacheprovider -m fuzz tests/validation $(ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run.py $(ARGS)

bench-corpora: install
	$(BIN)/python bench/corpora_scan.py --out bench/corpora_scan.md $(ARGS)

bench-scale: install
	$(BIN)/python bench/scale.py $(ARGS)

slurm-up:
	bash tools/slurm_localhost.sh up

slurm-down:
	bash tools/slurm_localhost.sh down

corpus:
	bash tools/make_mini_corpus.sh

clean:
	rm -rf exp .pytest_cache .ruff_cache build *.egg-info
	$(MAKE) -C recipes/generic clean
	$(MAKE) -C recipes/librispeech clean
