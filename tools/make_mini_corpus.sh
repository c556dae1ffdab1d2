#!/usr/bin/env bash
# Regenerate the embedded synthetic mini corpus (LibriSpeech layout) shipped with
# espnet3_prep:  espnet3_prep/data/mini_librispeech/LibriSpeech/{train-clean-5,dev-clean-2}
#
# Idempotent: the output folder is removed and regenerated from fixed arguments; the
# result is byte-identical for the same espeak-ng/sox versions (Debian 12: espeak-ng
# 1.51, SoX 14.4.2).  Installs espeak-ng and sox with apt-get when missing (root only).
#
# Fixed corpus: train-clean-5 = 3 speakers x 2 chapters x 4 utts (24 utts, 2F/1M or 1F/2M),
#               dev-clean-2   = 2 speakers x 1 chapter  x 6 utts (12 utts, 1F+1M),
#               3-16 words per utterance drawn log-uniformly (~1.1-5 s each).
# FLAC of espeak-ng speech costs ~17-21 KB per second of audio, so the 2 MB budget allows
# only ~95 s of audio in total (36 utts x ~2.4 s); seed 16 is used because its voices and
# lengths keep the folder at ~1.65 MB.  Check with: du -sh espnet3_prep/data/mini_librispeech
#
# Usage: tools/make_mini_corpus.sh            (run from anywhere)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_PARENT="${REPO_ROOT}/espnet3_prep/data/mini_librispeech"
OUT_DIR="${OUT_PARENT}/LibriSpeech"
PYTHON="${PYTHON:-${REPO_ROOT}/.venv/bin/python}"
MAX_BYTES=2000000

ensure_tools() {
    local missing=()
    command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
    command -v sox >/dev/null 2>&1 || missing+=(sox)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "error: missing ${missing[*]}; as root run: apt-get install -y espeak-ng sox" >&2
        exit 1
    fi
    echo "installing ${missing[*]} with apt-get ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends espeak-ng sox
}

ensure_tools
[[ -x "${PYTHON}" ]] || PYTHON="$(command -v python3)"

rm -rf "${OUT_DIR}"
mkdir -p "${OUT_PARENT}"
"${PYTHON}" "${REPO_ROOT}/tools/synth_librispeech.py" \
    --out "${OUT_DIR}" \
    --splits train-clean-5:3:2:4 dev-clean-2:2:1:6 \
    --seed 16 \
    --words-range 3:16 \
    --word-dist loguniform

bytes="$(du -sb "${OUT_PARENT}" | cut -f1)"
echo "$(du -sh "${OUT_PARENT}" | cut -f1)  ${OUT_PARENT} (${bytes} bytes)"
if [[ "${bytes}" -ge "${MAX_BYTES}" ]]; then
    echo "error: ${OUT_PARENT} is ${bytes} bytes, over the ${MAX_BYTES}-byte budget" >&2
    exit 1
fi
