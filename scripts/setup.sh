#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for wasmvisor: the Debian packages it needs (RISC-V cross
# toolchain with picolibc, QEMU for comparison runs, dtc, Chromium, gdb-multiarch), the npm packages, and the Linux guest
# (guests/linux/build.sh installs what the kernel build needs). Idempotent: installs and builds
# only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  gcc-riscv64-unknown-elf          # builds the bare-metal guests in guests/
  binutils-riscv64-unknown-elf
  picolibc-riscv64-unknown-elf     # C library for the C guests (rv32imac/ilp32 multilib)
  qemu-system-misc                 # qemu-system-riscv32: reference for behaviour and speed
  device-tree-compiler             # dtc: the tests decompile the device trees wasmvisor writes
  chromium                         # the web page's end-to-end test drives it headless (playwright-core)
  gdb-multiarch                    # the GDB stub's end-to-end test (wasmvisor run-elf --gdb)
)

# Each step says what it does and how long it should take, and is skipped when its result is
# there. Measured on a fresh clone of this 2-core machine with the Debian packages already
# installed (docs/testing.md): 20 min 1 s while other builds kept it busy (load 9; 500 s of CPU
# time, the kernel 19 min of it); on 2 idle cores the same work is about 4-5 minutes.
setup_start=$(date +%s)
echo "setup: started at $(date +%H:%M:%S); a fresh machine takes about 5 minutes on 2 idle cores (20 on a busy one) plus the Debian packages' download, a machine that is set up a few seconds"
bash scripts/ensure-packages.sh setup "${PACKAGES[@]}"

# Installed when node_modules is missing or npm finds a package missing or not what package.json
# asks for (not by file times: a fresh checkout makes the lock newer than a good install).
if [ ! -d node_modules ] || ! npm ls --depth=0 >/dev/null 2>&1; then
  echo "setup: installing npm packages (about 70, no native builds: 10-30 s)"
  # (npm install, not npm ci: the lock records only the platform-specific optional packages
  # that exist for this machine, which npm ci refuses; npm install keeps the locked versions.)
  npm install --no-audit --no-fund --loglevel=error
else
  echo "setup: npm packages: installed"
fi
# The project's guest programs (guests/bin/), from their sources.
bash scripts/ensure-guests.sh
# The Linux guest (kernel from Debian's linux-source-6.1, the project's userland, a disk image):
# built once into guests/linux/build/, then kept; it prints its own estimates.
bash guests/linux/build.sh
# CI also builds the pre-virtualized (afterburned) kernel, so test/previrt.test.ts boots it patched
# and unpatched (elsewhere that test skips it until `npm run linux:afterburn` has built it: a
# second kernel build, about as long as the first; docs/previrt.md).
if [ "${CI:-}" = true ] || [ "${WASMVISOR_AFTERBURN:-}" = 1 ]; then
  echo "setup: CI: building the afterburned kernel too (about as long as the first kernel build)"
  # A failure here is reported loudly but does not stop the setup: the plain system is what the
  # tests need, and test/previrt.test.ts then says it skipped the afterburned kernel and why.
  npm run linux:afterburn --silent || echo "setup: WARNING: the afterburned kernel did not build (see guests/linux/build/kbuild-afterburn/); test/previrt.test.ts will skip it" >&2
fi
elapsed=$(( $(date +%s) - setup_start ))
echo "setup: done in $((elapsed / 60)) min $((elapsed % 60)) s"
