#!/usr/bin/env bash
# Builds wasmvisor's own guest programs into guests/bin/ and records their source hashes in
# guests/manifest.json (a test fails when a committed ELF is stale against its sources).
#
#   asm/*.S   stand-alone assembly programs (and parbench-short: parbench.S with fewer items)
#   isa/*.S   ISA tests on the assembly test runtime (common/testrt.S, report.S, test.h)
#   sbi/*.S   supervisor-mode guests on the S-mode runtime (common/srt.S, report.S, test.h): they
#             boot with a0 = hart id and a1 = a device tree and talk to the SBI
#   hostile/m/*.S  hostile machine-mode guests of the adversarial suite (test/adversarial.test.ts)
#             on the assembly test runtime (common/testrt.S, report.S, test.h)
#   hostile/smp/*.S  hostile guests for several harts (test/vnuma.test.ts)
#   hostile/s/*.S  hostile supervisor-mode guests of the adversarial suite on the S-mode runtime
#             (common/srt.S, report.S, test.h)
#   ipc/*.c   IPC test and benchmark programs on the guest SDK (sdk/: wasmvisor.h, wasmvisor-rt.c)
#   rtos/     the real-time OS (rtos/build.sh): rtos.elf, and rtos-client.elf for its tests
#   c/*.c     C programs on picolibc with common/start.S and common/platform.c
#   fp/*.S, fp/*.c  the F and D tests, built for RV32GC (-march=rv32imafdc -mabi=ilp32d, picolibc's
#             multilib of that name): assembly on the test runtime, C on picolibc as c/ (start.S
#             turns the FPU on when built with F). Every other guest stays rv32imac.
#   firmware/ M-mode firmware booted the QEMU way (-bios; src/loader/firmware-boot.ts), without a
#             C library: firmware.elf, wasmvisor's SBI firmware (sbi.c, trap.S), and fwprobe.elf,
#             which prints what a firmware receives (probe.c); both on start.S and lib.c
#
# Toolchain: Debian's gcc-riscv64-unknown-elf, binutils-riscv64-unknown-elf and
# picolibc-riscv64-unknown-elf. `-misa-spec=2.2` makes GCC 12 accept CSR instructions in
# rv32imac and selects picolibc's rv32imac/ilp32 multilib.
set -euo pipefail
cd "$(dirname "$0")"

CC=${CC:-riscv64-unknown-elf-gcc}
if ! command -v "$CC" >/dev/null; then
  echo "guests/build.sh: $CC not found; install gcc-riscv64-unknown-elf, binutils-riscv64-unknown-elf and picolibc-riscv64-unknown-elf" >&2
  exit 1
fi
ARCH="-march=rv32imac -misa-spec=2.2 -mabi=ilp32"
COMMON="$ARCH -nostartfiles -T common/virt.ld -Icommon -Wl,--no-warn-rwx-segments -g0"
mkdir -p bin
rm -f bin/*.elf

# Each source is compiled to an object with a fixed name under obj/ (git-ignored) and then
# linked: the ELF's symbol table names those objects, so builds are reproducible (compiling and
# linking in one step would record gcc's random temporary file names).
build() { # name, link flags..., -- sources...
  local name=$1; shift
  local flags=() srcs=() objs=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  srcs=("$@")
  mkdir -p "obj/$name"
  for src in "${srcs[@]}"; do
    local obj="obj/$name/$(basename "$src").o"
    "$CC" "${flags[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
  done
  "$CC" "${flags[@]}" "${objs[@]}" -o "bin/$name.elf"
  echo "  $name.elf"
}

rm -rf obj
for src in asm/*.S; do
  build "$(basename "$src" .S)" $COMMON -nostdlib -- "$src"
done
# The parallel benchmark with fewer items (256 of 10,000), for the tests: a few million
# instructions instead of about 190 million.
build parbench-short $COMMON -nostdlib -DITEMS=256 -- asm/parbench.S
# With each hart's working memory in its own part of RAM (a vNUMA node's memory: docs/vnuma.md).
build parbench-numa $COMMON -nostdlib -DNUMA_AREAS -- asm/parbench.S
for src in isa/*.S; do
  build "$(basename "$src" .S)" $COMMON -nostdlib -- common/testrt.S common/report.S "$src"
done
for src in sbi/*.S; do
  build "$(basename "$src" .S)" $COMMON -nostdlib -- common/srt.S common/report.S "$src"
done
# For a partition on vNUMA nodes: hart 1 may see a remapped page without a fence there (the
# page table's page moves to hart 0's node, and hart 1's node drops every translation).
build smp-s-vnuma $COMMON -nostdlib -DVNUMA -- common/srt.S common/report.S sbi/smp-s.S
# hostile/common/csr-sweep.S: the CSR sweep both adv-csr guests run.
sweep() { case "$1" in */adv-csr-*) echo hostile/common/csr-sweep.S ;; esac; }
for src in hostile/m/*.S; do
  build "$(basename "$src" .S)" $COMMON -nostdlib -- common/testrt.S common/report.S $(sweep "$src") "$src"
done
# hostile/smp/*.S: hostile guests for several harts, on the parallel-harts routines (common/harts.S).
for src in hostile/smp/*.S; do
  build "$(basename "$src" .S)" $COMMON -nostdlib -- "$src"
done
for src in hostile/s/*.S; do
  build "$(basename "$src" .S)" $COMMON -nostdlib -- common/srt.S common/report.S $(sweep "$src") "$src"
done
for src in ipc/*.c; do
  build "$(basename "$src" .c)" $COMMON -Isdk --specs=picolibc.specs -O2 -- common/start.S common/platform.c sdk/wasmvisor-rt.c "$src"
done
# The RTOS (rtos/README.md) and the client its tests run beside it.
bash rtos/build.sh bin/rtos.elf
echo "  rtos.elf"
bash rtos/build.sh --client bin/rtos-client.elf
echo "  rtos-client.elf"
# The RTOS afterburned (docs/previrt.md): the same sources, assembled through the afterburner
# (`wasmvisor afterburn --install`, used as `gcc -B DIR`), so every sensitive instruction is a
# padded site listed in its .wvsites section. It ends the run after two reports (10 s), so it can
# be compared with QEMU. Needs wasmvisor built (npm run build).
if [ -f ../dist/src/tools/afterburn/command.js ]; then
  node ../bin/wasmvisor.mjs afterburn --install obj/afterburn-as --as riscv64-unknown-elf-as --log obj/afterburn-rtos.log 2>/dev/null
  : > obj/afterburn-rtos.log
  bash rtos/build.sh bin/rtos-afterburn.elf -DRTOS_REPORTS=2 -B "$(pwd)/obj/afterburn-as/"
  echo "  rtos-afterburn.elf ($(awk '{ n += $3 } END { print n }' obj/afterburn-rtos.log) sites)"
else
  echo "  rtos-afterburn.elf: skipped (npm run build first: the afterburner is part of wasmvisor)"
fi
for src in c/*.c; do
  build "$(basename "$src" .c)" $COMMON --specs=picolibc.specs -O2 -- common/start.S common/platform.c "$src"
done
# The CoreMark-like workload at a benchmark's length (12,000 iterations, about 1.06 billion
# instructions: 0.6 s under QEMU) for bench:jit; cmark.elf's 1,200 are for the tests.
build cmark-long $COMMON --specs=picolibc.specs -O2 -DITERATIONS=12000 -- common/start.S common/platform.c c/cmark.c
FIRMWARE="$ARCH -nostartfiles -nostdlib -ffreestanding -O2 -Wall -Wextra -T firmware/firmware.ld -Ifirmware -Wl,--no-warn-rwx-segments -g0"
build firmware $FIRMWARE -- firmware/start.S firmware/lib.c firmware/trap.S firmware/sbi.c
build fwprobe $FIRMWARE -- firmware/start.S firmware/lib.c firmware/probe.c

ARCH_FD="-march=rv32imafdc -misa-spec=2.2 -mabi=ilp32d"
COMMON_FD="$ARCH_FD -nostartfiles -T common/virt.ld -Icommon -Wl,--no-warn-rwx-segments -g0"
for src in fp/*.S; do
  build "$(basename "$src" .S)" $COMMON_FD -nostdlib -- common/testrt.S common/report.S "$src"
done
for src in fp/*.c; do
  build "$(basename "$src" .c)" $COMMON_FD --specs=picolibc.specs -O2 -lm -- common/start.S common/platform.c "$src"
done

node manifest.mjs write
