#!/usr/bin/env bash
# `make test`: bring up the project's single-node SLURM (unless one is already up), run the whole
# suite, and take down a SLURM this run started.
# SLURM-marked tests are skipped (with the reason printed) only when this machine truly
# cannot run SLURM (not root / no apt-get: slurm_localhost.sh exits 3).
set -uo pipefail
cd "$(dirname "$0")/.."

# espeak-ng, sox, libsox-fmt-mp3: the synthetic corpora of tests/corpora
bash tools/install_debs.sh || { echo "run_tests: cannot install the test corpora's Debian packages" >&2; exit 1; }

export ESPNET3_PREP_SLURM=unavailable
# A SLURM that was already healthy belongs to someone else (a developer's shell, another
# checkout's test run): use it and leave it running. One this run starts is stopped at exit.
was_up=0
bash tools/slurm_localhost.sh status >/dev/null 2>&1 && was_up=1
bash tools/slurm_localhost.sh up
rc=$?
if [ "$rc" -eq 0 ]; then
  export ESPNET3_PREP_SLURM=up
  if [ "$was_up" -eq 0 ]; then
    trap 'bash tools/slurm_localhost.sh down >/dev/null 2>&1 || true' EXIT
  fi
elif [ "$rc" -eq 3 ]; then
  echo "run_tests: SLURM cannot run on this machine (see above); SLURM tests will be skipped"
else
  echo "run_tests: SLURM failed to start (exit $rc); refusing to run a weaker suite" >&2
  exit 1
fi

.venv/bin/pytest -ra "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "run_tests: pytest collected no tests — that is a failure, not a pass" >&2
  exit 1
fi
exit "$rc"
