#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet (apt-get, as
# root or through sudo); does nothing when all are. Used by scripts/setup.sh and
# guests/linux/build.sh. Says what it installs, how much apt must download (apt's own figure)
# and how long it took.
#
#   bash scripts/ensure-packages.sh LABEL PACKAGE...
set -euo pipefail
label=$1
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$label: Debian packages: all ${#} installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
start=$(date +%s)
echo "$label: installing ${#missing[@]} Debian packages: ${missing[*]}"
echo "$label: apt-get update (usually under a minute)…"
$SUDO apt-get update -qq
# apt's own figure for what it must fetch (--assume-no answers its question and installs nothing).
need=$(LC_ALL=C $SUDO apt-get install --assume-no --no-install-recommends "${missing[@]}" 2>/dev/null \
  | sed -n 's/^Need to get \([0-9.,]* [kMG]*B\).*/\1/p' | head -1 || true)
# (On a fresh Debian 12 machine setup.sh's packages and their dependencies are about 430-710 MB
# to download and 2.8 GB installed; unpacking them took a few minutes more than the download.)
echo "$label: downloading ${need:-the packages} and installing them: a few minutes on a fresh machine, more on a slow connection; started at $(date +%H:%M:%S)"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "$label: Debian packages installed in $(( $(date +%s) - start ))s"
