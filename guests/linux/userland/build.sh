#!/bin/bash
# build.sh OUTDIR - build the wasmvisor rv32 userland.
#
# Produces static, stripped ET_EXEC ELF files:
#   OUTDIR/init          (PID 1 of the initramfs; install it as /init)
#   OUTDIR/bin/<name>    one per cmd/<name>.c (except init.c)
# Objects and the runtime archive go to OUTDIR/obj.  No libc: lib/ is the
# runtime; libgcc only supplies the 64-bit division helpers.
# The output is reproducible: no timestamps, no build-id, deterministic ar,
# and no source paths end up in the (stripped) binaries.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
OBJ=$OUT/obj
mkdir -p "$OBJ/lib" "$OBJ/cmd" "$OUT/bin"

CROSS=${CROSS:-riscv64-unknown-elf-}
CC=${CROSS}gcc
AR=${CROSS}ar
export LC_ALL=C SOURCE_DATE_EPOCH=0

ARCH=(-march=rv32imac -misa-spec=2.2 -mabi=ilp32)
CFLAGS=("${ARCH[@]}" -static -nostdlib -ffreestanding -fno-stack-protector -Os
    -Wall -Wextra -Werror
    -std=gnu11 -fno-builtin -fno-tree-loop-distribute-patterns
    -ffunction-sections -fdata-sections
    -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-ident
    "-ffile-prefix-map=$SRC=." -I"$SRC/lib")
LDFLAGS=("${ARCH[@]}" -static -nostdlib -nostartfiles -T "$SRC/link.ld"
    -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,max-page-size=4096 -s)

# --- runtime library ------------------------------------------------------
LIBOBJS=()
for src in "$SRC"/lib/*.c "$SRC"/lib/*.S; do
    o=$OBJ/lib/$(basename "${src%.*}").o
    "$CC" "${CFLAGS[@]}" -c "$src" -o "$o"
    LIBOBJS+=("$o")
done
rm -f "$OBJ/libu.a"
"$AR" rcsD "$OBJ/libu.a" "${LIBOBJS[@]}"

# --- programs -------------------------------------------------------------
# crt0.o is linked explicitly (it holds _start); the rest comes from the
# archive on demand, then libgcc for __udivdi3/__umoddi3.
for src in "$SRC"/cmd/*.c; do
    name=$(basename "${src%.c}")
    o=$OBJ/cmd/$name.o
    # fpcheck uses the F and D instructions (the machine is RV32GC; the kernel saves and restores
    # their state): the same ilp32 calling convention as everything else, so it links with them.
    extra=()
    [ "$name" = fpcheck ] && extra=(-march=rv32imafdc)
    "$CC" "${CFLAGS[@]}" "${extra[@]}" -c "$src" -o "$o"
    if [ "$name" = init ]; then exe=$OUT/init; else exe=$OUT/bin/$name; fi
    "$CC" "${LDFLAGS[@]}" -o "$exe" "$OBJ/lib/crt0.o" "$o" "$OBJ/libu.a" -lgcc
done

echo "built $(ls "$OUT/bin" | wc -l) programs + init in $OUT"
