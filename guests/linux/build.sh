#!/usr/bin/env bash
# Builds the Linux guest of wasmvisor into guests/linux/build/ (git-ignored; nothing built from
# third-party source is committed):
#
#   build/Image           an rv32 kernel from Debian's linux-source-6.1 with the configuration
#                         fragment wasmvisor.config merged onto `make tinyconfig`
#   build/initramfs.cpio  the project's own userland (userland/: init, a shell, tools) as a
#                         newc cpio archive (mkinitramfs.mjs)
#   build/disk.img        an empty 8 MiB ext2 disk for virtio-blk (created once, then kept: it is
#                         the Linux partition's disk in the default system)
#   build/log.img         an empty (zeroed) 4 MiB raw disk for `kvdb` in examples/rapilog.json
#
# `--afterburn` (npm run linux:afterburn; docs/previrt.md) builds the same kernel a second time,
# in build/kbuild-afterburn, through the afterburning assembler (`wasmvisor afterburn --install`,
# used as `CC="riscv64-linux-gnu-gcc -B DIR"`: no source patch), and writes
#   build/Image.afterburn          the pre-virtualized kernel (it still boots on a bare machine)
#   build/Image.afterburn.wvsites  its site table, read from vmlinux's .wvsites section, with
#                                  each site as an offset from the start of the Image
#                                  (the loader adds the Image's load address)
#
# Installs what is missing with apt-get (as root, or through sudo): linux-source-6.1, the
# RISC-V Linux cross compiler, the kernel's host build tools, e2fsprogs. Each step is skipped
# when its output is newer than its inputs. `--force` rebuilds everything.
set -euo pipefail
cd "$(dirname "$0")"

BUILD=build
KSRC=$BUILD/linux-source-6.1
KOUT=$BUILD/kbuild
FORCE=0
AFTERBURN=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --afterburn) AFTERBURN=1 ;;
    *) echo "usage: bash guests/linux/build.sh [--force] [--afterburn]" >&2; exit 2 ;;
  esac
done
# The kernel is the same bytes on every machine: its banner ("Linux version ... (user@host) #N
# SMP date") would otherwise carry this machine's name and the time of the build, and a longer or
# shorter banner shifts every instruction count after it (and with them where Linux's scheduler
# puts a thread: a test saw "ran on 1 CPUs" on one machine and 2 on another).
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026" KBUILD_BUILD_USER=wasmvisor \
  KBUILD_BUILD_HOST=wasmvisor KBUILD_BUILD_VERSION=1
KMAKE=(make -C "$KSRC" O="$(pwd)/$KOUT" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)
IMAGE=$BUILD/Image
if [ $AFTERBURN = 1 ]; then
  KOUT=$BUILD/kbuild-afterburn
  IMAGE=$BUILD/Image.afterburn
  ASDIR="$(pwd)/$BUILD/afterburn-as"
  [ -f ../../dist/src/tools/afterburn/command.js ] || { echo "linux: run npm run build first (the afterburner is part of wasmvisor)" >&2; exit 1; }
  mkdir -p "$KOUT"
  node ../../bin/wasmvisor.mjs afterburn --install "$ASDIR" --as riscv64-linux-gnu-as --mode supervisor \
    --log "$(pwd)/$KOUT/afterburn.log"
  KMAKE=(make -C "$KSRC" O="$(pwd)/$KOUT" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- CC="riscv64-linux-gnu-gcc -B $ASDIR/")
fi
say() { echo "linux: $*"; }

# ── Packages ────────────────────────────────────────────────────────────────────────────────
PACKAGES=(linux-source-6.1 gcc-riscv64-linux-gnu gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  picolibc-riscv64-unknown-elf gcc make flex bison bc xz-utils e2fsprogs)
bash ../../scripts/ensure-packages.sh linux "${PACKAGES[@]}"
mkdir -p "$BUILD"

# The kernel is built when there is none, when the fragment is newer than it, or when its build
# directory was reconfigured since; an Image alone (the source tree and kbuild/ deleted to save
# 1.3 GB, or a copied build/) is kept as it is.
NEED_KERNEL=0
if [ ! -f "$IMAGE" ] || [ wasmvisor.config -nt "$IMAGE" ] || [ "$KOUT/.config" -nt "$IMAGE" ] || [ $FORCE = 1 ]; then
  NEED_KERNEL=1
fi

# ── Kernel source ───────────────────────────────────────────────────────────────────────────
if [ $NEED_KERNEL = 1 ] && { [ ! -f "$KSRC/Makefile" ] || [ $FORCE = 1 ]; }; then
  say "extracting /usr/src/linux-source-6.1.tar.xz (140 MB: under a minute)"
  rm -rf "$KSRC"
  tar -C "$BUILD" -xf /usr/src/linux-source-6.1.tar.xz
fi

# ── Configuration: tinyconfig + wasmvisor.config ────────────────────────────────────────────
if [ $NEED_KERNEL = 1 ] && { [ ! -f "$KOUT/.config" ] || [ wasmvisor.config -nt "$KOUT/.config" ] || [ $FORCE = 1 ]; }; then
  say "configuring (tinyconfig + wasmvisor.config)"
  mkdir -p "$KOUT"
  "${KMAKE[@]}" tinyconfig >/dev/null
  KCONFIG_CONFIG="$KOUT/.config" "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOUT" "$KOUT/.config" wasmvisor.config >/dev/null
  "${KMAKE[@]}" olddefconfig >/dev/null
  # Every line of the fragment must have survived (a misspelt or unavailable option would not).
  bad=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=n) opt=${line%=n}; grep -q "^# $opt is not set" "$KOUT/.config" || grep -q "^$opt=n" "$KOUT/.config" || { say "option lost: $line"; bad=1; } ;;
      CONFIG_*=*) grep -qx "$line" "$KOUT/.config" || { say "option lost: $line"; bad=1; } ;;
    esac
  done < wasmvisor.config
  [ $bad = 0 ] || { say "the configuration fragment did not apply"; exit 1; }
fi

# ── Kernel ──────────────────────────────────────────────────────────────────────────────────
if [ $NEED_KERNEL = 1 ]; then
  # The estimate: the build is about 930 steps (CC, AS, LD, AR) and 420 s of CPU time, measured
  # on this project's 2-core machine (2026-12-03: 19 min wall while other builds kept it at
  # load 9, about 4 min when idle). The progress lines then extrapolate from the rate so far.
  STEPS=930
  CPU_SECONDS=420
  cores=$(nproc)
  idle_min=$(( (CPU_SECONDS / cores + 59) / 60 ))
  load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
  busy=$(awk -v l="$load" -v c="$cores" 'BEGIN { print (l >= c) ? 1 : 0 }')
  hint=""
  [ "$busy" = 1 ] && hint=", longer now: the machine is busy (load $load)"
  say "building the kernel with $cores jobs: about $idle_min min on $cores idle cores$hint; started at $(date +%H:%M:%S)"
  start=$(date +%s)
  [ $AFTERBURN = 1 ] && : > "$KOUT/afterburn.log"
  # Progress: a live counter on a terminal, else a line per 100 steps. The full log is kept.
  log="$BUILD/kernel-build.log"
  if ! "${KMAKE[@]}" -j"$cores" Image 2>&1 | tee "$log" | {
    n=0
    while IFS= read -r line; do
      case "$line" in
        *" CC "*|*" AS "*|*" LD "*|*" AR "*)
          n=$((n + 1))
          if [ -t 1 ] || [ $((n % 100)) = 0 ]; then
            took=$(( $(date +%s) - start ))
            left=""
            [ "$n" -lt "$STEPS" ] && [ "$took" -gt 0 ] && left=", about $(( (STEPS - n) * took / n / 60 + 1 )) min left"
            if [ -t 1 ]; then printf '\rlinux: %d of ~%d steps, %ds%s   ' "$n" "$STEPS" "$took" "$left"
            else echo "linux: $n of ~$STEPS steps, ${took}s$left"; fi
          fi ;;
      esac
    done
    if [ -t 1 ]; then echo; fi
  }; then
    tail -30 "$log"
    say "the kernel build failed (full log: guests/linux/$log)"
    exit 1
  fi
  cp "$KOUT/arch/riscv/boot/Image" "$IMAGE"
  say "kernel: $IMAGE ($(stat -c %s "$IMAGE") bytes, $(( $(date +%s) - start ))s)"
  if [ $AFTERBURN = 1 ]; then
    riscv64-linux-gnu-objcopy --dump-section .wvsites="$KOUT/vmlinux.wvsites" "$KOUT/vmlinux"
    start_sym=$(riscv64-linux-gnu-nm "$KOUT/vmlinux" | awk '$3 == "_start" { print $1 }')
    node wvsites-sidecar.mjs "$KOUT/vmlinux.wvsites" "$start_sym" "$(stat -c %s "$IMAGE")" "$IMAGE.wvsites"
    say "afterburner: $(grep -c . "$KOUT/afterburn.log") inputs assembled, $(grep -o ', [0-9]* unclassified' "$KOUT/afterburn.log" | awk '{ n += $2 } END { print n + 0 }') statements left alone (listed in guests/linux/$KOUT/afterburn.log)"
  fi
fi

# ── Userland and initramfs ──────────────────────────────────────────────────────────────────
newest_src=$(find userland mkinitramfs.mjs -type f -newer "$BUILD/initramfs.cpio" 2>/dev/null | head -1 || true)
if [ ! -f "$BUILD/initramfs.cpio" ] || [ -n "$newest_src" ] || [ $FORCE = 1 ]; then
  say "building the userland (a few seconds)"
  rm -rf "$BUILD/userland"
  bash userland/build.sh "$BUILD/userland"
  node mkinitramfs.mjs "$BUILD/userland" "$BUILD/initramfs.cpio"
fi

# ── Disk ────────────────────────────────────────────────────────────────────────────────────
if [ ! -f "$BUILD/disk.img" ]; then
  say "creating an 8 MiB ext2 disk image"
  /sbin/mke2fs -q -t ext2 -L wasmvisor -E root_owner=0:0 "$BUILD/disk.img" 8M
fi
if [ ! -f "$BUILD/log.img" ]; then
  truncate -s 4M "$BUILD/log.img"
fi
say "ready: $IMAGE, $BUILD/initramfs.cpio, $BUILD/disk.img, $BUILD/log.img"
