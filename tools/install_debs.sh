#!/usr/bin/env bash
# Debian packages the test corpora need: espeak-ng (speech), sox (conversion, SPHERE) and
# libsox-fmt-mp3 (Common Voice's MP3). Installed with apt-get when missing (root only);
# tools/run_tests.sh runs this before the suite. Idempotent: nothing to do exits at once.
set -euo pipefail
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
dpkg-query -W -f='${Status}' libsox-fmt-mp3 2>/dev/null | grep -q "install ok installed" \
  || need+=(libsox-fmt-mp3)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install_debs: missing ${need[*]}; as root run: apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "install_debs: installing ${need[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}"
