#!/usr/bin/env bash
# tools/install_ffmpeg.sh -- the FFmpeg shared libraries that torchcodec (the audio decoder of
# Hugging Face `datasets` >= 4) loads, so `ds[i]["audio"]` decodes after
# `ds.cast_column("audio", Audio(...))` (README "Exports", the `hf` extra).
#
# Run by `make install` (target `system-deps`). Debian/Ubuntu as root: installs Debian's
# `ffmpeg` package (its libav* libraries; no recommends) unless the libraries are there.
# Not root or no apt-get: prints what to install and exits 0 -- only HF audio decoding
# needs them; everything else in espnet3-prep reads audio with soundfile.
#
# Exit codes: 0 ok (installed, already present, or skipped with a message); 1 apt failed.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
LIBS=(libavutil libavcodec libavformat libavdevice libavfilter libswscale libswresample)

missing() {
    # the cache is read once, then searched: `ldconfig -p | grep -q` under pipefail failed
    # whenever grep's early exit hit ldconfig with SIGPIPE (a present library "missing")
    local lib cache out=()
    cache=$(ldconfig -p 2>/dev/null || true)
    for lib in "${LIBS[@]}"; do
        grep -q "${lib}\.so\." <<<"$cache" || out+=("$lib")
    done
    echo "${out[*]}"
}

need=$(missing)
if [ -z "$need" ]; then
    echo "install_ffmpeg: FFmpeg libraries present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_ffmpeg: missing $need; HF audio decoding (torchcodec) needs them." >&2
    echo "install_ffmpeg: as root: apt-get install --no-install-recommends ffmpeg" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 ffmpeg; }
if ! install >/tmp/install_ffmpeg.log 2>&1; then
    apt-get update -q -o DPkg::Lock::Timeout=300 >>/tmp/install_ffmpeg.log 2>&1 || true
    install >>/tmp/install_ffmpeg.log 2>&1 || { tail -20 /tmp/install_ffmpeg.log >&2; exit 1; }
fi
need=$(missing)
[ -z "$need" ] || { echo "install_ffmpeg: still missing $need" >&2; exit 1; }
echo "install_ffmpeg: installed Debian's ffmpeg libraries"
