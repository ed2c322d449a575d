#!/usr/bin/env bash
# Builds the RTOS (guests/rtos/README.md) or its test client, with the flags guests/build.sh uses
# for C guests, plus -Wall -Wextra (the sources are warning-free).
#
#   bash guests/rtos/build.sh OUT.elf [extra gcc flags...]            the RTOS, e.g. -DRTOS_REPORTS=2
#   bash guests/rtos/build.sh --client OUT.elf [extra gcc flags...]   the test client (client.c)
#
# OUT is relative to the caller's directory. As in guests/build.sh, each source is compiled to an
# object with a fixed name (under guests/rtos/build/obj/, git-ignored) and then linked, so the
# ELF is reproducible.
set -euo pipefail

client=0
if [ "${1:-}" = "--client" ]; then client=1; shift; fi
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: bash guests/rtos/build.sh [--client] OUT.elf [extra gcc flags...]" >&2
  exit 2
fi
out=$(realpath -m "$1")
shift
cd "$(dirname "$0")/.."

CC=${CC:-riscv64-unknown-elf-gcc}
if ! command -v "$CC" >/dev/null; then
  echo "guests/rtos/build.sh: $CC not found; install gcc-riscv64-unknown-elf, binutils-riscv64-unknown-elf and picolibc-riscv64-unknown-elf" >&2
  exit 1
fi
FLAGS=(-march=rv32imac -misa-spec=2.2 -mabi=ilp32 -nostartfiles -T common/virt.ld -Icommon -Isdk
       -Wl,--no-warn-rwx-segments -g0 --specs=picolibc.specs -O2 -Wall -Wextra "$@")
if [ $client = 1 ]; then
  SRCS=(common/start.S common/platform.c sdk/wasmvisor-rt.c rtos/client.c)
else
  SRCS=(common/start.S common/platform.c rtos/trap.S rtos/kernel.c rtos/server.c rtos/main.c)
fi

name=$(basename "$out" .elf)
obj="rtos/build/obj/$name"
rm -rf "$obj"
mkdir -p "$obj" "$(dirname "$out")"
objs=()
for src in "${SRCS[@]}"; do
  o="$obj/$(basename "$src").o"
  "$CC" "${FLAGS[@]}" -c "$src" -o "$o"
  objs+=("$o")
done
"$CC" "${FLAGS[@]}" "${objs[@]}" -o "$out"
