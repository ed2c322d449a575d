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
# Installs what is missing with apt-get (as root, or through sudo): linux-source-6.1, the
# RISC-V Linux cross compiler, the kernel's host build tools, e2fsprogs. Each step is skipped
# when its output is newer than its inputs. `--force` rebuilds everything.
set -euo pipefail
cd "$(dirname "$0")"

BUILD=build
KSRC=$BUILD/linux-source-6.1
KOUT=$BUILD/kbuild
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1
KMAKE=(make -C "$KSRC" O="$(pwd)/$KOUT" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)
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
if [ ! -f "$BUILD/Image" ] || [ wasmvisor.config -nt "$BUILD/Image" ] || [ "$KOUT/.config" -nt "$BUILD/Image" ] || [ $FORCE = 1 ]; then
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
  cp "$KOUT/arch/riscv/boot/Image" "$BUILD/Image"
  say "kernel: $BUILD/Image ($(stat -c %s "$BUILD/Image") bytes, $(( $(date +%s) - start ))s)"
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
say "ready: $BUILD/Image, $BUILD/initramfs.cpio, $BUILD/disk.img, $BUILD/log.img"
