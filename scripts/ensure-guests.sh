#!/usr/bin/env bash
# Builds the project's guest programs into guests/bin/ when any is missing or stale against its
# sources (guests/manifest.mjs decides; guests/build.sh builds). The ELFs are not committed: the
# C ones link picolibc and libgcc, third-party code that the repository does not carry as
# binaries. Used by scripts/setup.sh and by `npm pack` (prepack), so the package ships them.
set -euo pipefail
cd "$(dirname "$0")/.."
if node -e 'import("./guests/manifest.mjs").then((m) => process.exit(m.checkManifest().length ? 1 : 0))' 2>/dev/null; then
  echo "setup: guest programs: built"
  exit 0
fi
echo "setup: building the guest programs into guests/bin/ (71 programs and the RTOS: about 15 s on 2 cores)"
start=$(date +%s)
# The afterburned RTOS goes through the afterburner, which is part of the built library.
npm run build --silent
bash guests/build.sh
echo "setup: guest programs built in $(( $(date +%s) - start )) s"
