# Shared rules of the one-corpus recipes (recipes/<corpus>/Makefile sets CORPUS and includes
# this file). Every recipe works the same way:
#   make prep ROOT=/data/<corpus> [PARALLEL=slurm PARTITION=cpu JOBS=32] [SPLITS=train,dev]
#   make plan ROOT=...        # dry run: items, hours, sizes, ETA, the job script
#   make status               # shards done per split (safe while a run is going on)
#   make collect              # data/<split> Kaldi/ESPnet2 data dirs, validated
RECIPE := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))
TOP := $(abspath $(RECIPE)/../..)
BIN ?= $(TOP)/.venv/bin
ROOT ?=
PARALLEL ?= local        # none | local | slurm | submitit_slurm | ...
JOBS ?= 4                # workers (local processes or SLURM jobs)
PARTITION ?=             # SLURM partition
SPLITS ?=                # e.g. train,dev (default: the corpus config's splits)
EXP ?= $(RECIPE)/exp/$(CORPUS)
DATA ?= $(RECIPE)/data
ARGS ?=                  # more Hydra overrides, e.g. ARGS="feature=mfcc export=[lhotse]"
CORPUS_ARGS ?=           # set by the recipe (its options, e.g. dataset.lang=...)

PREP_ARGS := dataset=$(CORPUS) dataset.root=$(strip $(ROOT)) output_dir=$(EXP) \
	parallel=$(strip $(PARALLEL)) $(CORPUS_ARGS)
ifneq ($(strip $(SPLITS)),)
PREP_ARGS += 'dataset.splits=[$(strip $(SPLITS))]'
endif
ifneq ($(strip $(PARALLEL)),none)
PREP_ARGS += parallel.n_workers=$(strip $(JOBS))
endif
ifneq ($(strip $(PARTITION)),)
ifeq ($(strip $(PARALLEL)),slurm)
PREP_ARGS += parallel.options.queue=$(strip $(PARTITION))
endif
ifeq ($(strip $(PARALLEL)),submitit_slurm)
PREP_ARGS += parallel.options.slurm_partition=$(strip $(PARTITION))
endif
endif

.PHONY: help prep plan status collect clean check-root

help:
	@awk '/^#/ {sub(/^# ?/, ""); print; next} {exit}' $(RECIPE)/Makefile

check-root:
	@test -n "$(strip $(ROOT))" || { echo "set ROOT=/path/to/$(CORPUS) (see make help)" >&2; exit 2; }

prep: check-root
	$(BIN)/espnet3-prep $(PREP_ARGS) $(ARGS)
	$(MAKE) -f $(RECIPE)/Makefile collect EXP=$(EXP) DATA=$(DATA)

plan: check-root
	$(BIN)/espnet3-prep action=plan $(PREP_ARGS) $(ARGS)

status:
	$(BIN)/python -m espnet3_prep.datadir status $(EXP)

collect:
	@for split in $(EXP)/*/; do \
	  test -f $$split/plan.json || continue; \
	  name=$$(basename $$split); \
	  $(BIN)/python -m espnet3_prep.datadir combine $(DATA)/$$name $$split || exit $$?; \
	done
	$(BIN)/python -m espnet3_prep.datadir validate $(DATA)/*/

clean:
	rm -rf $(EXP) $(DATA)
