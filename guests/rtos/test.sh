#!/usr/bin/env bash
# Builds the RTOS and its test client into guests/rtos/build/ (git-ignored) and checks them:
#
#   1. the bare machine, 200 M instructions, both cores: a report every 5 s, 0 deadline misses,
#      identical output;
#   2. test-system.json (the RTOS beside a client that makes protected calls and plays Linux
#      through the mailbox), on both cores with the IPC fast path on and off: all four outputs
#      equal test-system.expected;
#   3. the same system with the -DRTOS_MEASURE build: the longest kernel entries per kind;
#   4. with --trace only: the release path and interrupt-disabled sections from an instruction
#      trace of the bare machine (trace-paths.mjs; about a minute).
#
#   bash guests/rtos/test.sh [--trace] [--update]
# --update rewrites test-system.expected from the wasm core's run first (the TASKS reply shows
# stack high-water marks, which move with the code). Needs the CLI built (node scripts/build.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
trace=0 update=0
for a in "$@"; do
  case $a in
    --trace) trace=1 ;;
    --update) update=1 ;;
    *) echo "usage: bash guests/rtos/test.sh [--trace] [--update]" >&2; exit 2 ;;
  esac
done
R=guests/rtos/build
B="bash guests/rtos/build.sh"
CLI="node bin/wasmvisor.mjs"
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p $R
$B $R/rtos.elf
$B $R/rtos-test.elf -DRTOS_REPORTS=2
$B $R/rtos-measure.elf -DRTOS_REPORTS=2 -DRTOS_MEASURE
$B --client $R/client.elf
echo "built $R/rtos.elf, rtos-test.elf, rtos-measure.elf, client.elf"

# 1. The bare machine.
for core in wasm ts; do
  status=0
  $CLI run-elf $R/rtos.elf --max-insns 200000000 --core $core >$R/bare-$core.out 2>/dev/null || status=$?
  [ $status = 124 ] || fail "bare machine ($core): status $status, expected 124 (still running at the limit)"
done
cmp -s $R/bare-wasm.out $R/bare-ts.out || fail "bare machine: the two cores' outputs differ"
head -1 $R/bare-wasm.out | grep -qx "rtos: started, 1 kHz control task, tickless" || fail "bare machine: no start line"
reports=$(grep -c "^rtos: [0-9]* jobs, " $R/bare-wasm.out)
[ "$reports" -ge 70 ] || fail "bare machine: $reports reports in 200 M instructions"
grep "^rtos: [0-9]* jobs, " $R/bare-wasm.out | awk '{ n++; if ($2 != n * 5000 || $4 != 0) bad = 1 } END { exit bad }' ||
  fail "bare machine: a report without 5000 more jobs or with deadline misses"
echo "bare machine: $reports reports, every 5000 jobs, 0 misses, wasm = ts; last: $(tail -1 $R/bare-wasm.out)"

# 2. The partitioned system.
if [ $update = 1 ]; then
  $CLI run guests/rtos/test-system.json --max-insns 100000000 >guests/rtos/test-system.expected 2>/dev/null ||
    fail "test-system.json: status $?"
  echo "updated guests/rtos/test-system.expected"
fi
for core in wasm ts; do
  for ipc in "" --ipc-slow-path; do
    out=$R/system-$core${ipc:+-slow}.out
    $CLI run guests/rtos/test-system.json --max-insns 100000000 --core $core $ipc >$out 2>$R/system.err ||
      fail "test-system.json ($core $ipc): status $?: $(cat $R/system.err)"
    cmp -s $out guests/rtos/test-system.expected ||
      fail "test-system.json ($core $ipc): output differs from test-system.expected (diff $out guests/rtos/test-system.expected)"
  done
done
echo "test-system.json: wasm and ts cores, IPC fast and slow path: output = test-system.expected"

# 3. The measuring build in the same system.
sed 's|"build/rtos-test.elf"|"rtos-measure.elf"|; s|"build/client.elf"|"client.elf"|; s|"\.\./\.\./schema|"../../../schema|' \
  guests/rtos/test-system.json >$R/measure-system.json
$CLI run $R/measure-system.json --max-insns 100000000 >$R/measure.out 2>/dev/null || fail "measure-system.json: status $?"
echo "-DRTOS_MEASURE in test-system.json, at the end: $(grep -o 'longest kernel entries.*' $R/measure.out | tail -1)"

# 4. The instruction trace.
if [ $trace = 1 ]; then
  $B $R/rtos-r1.elf -DRTOS_REPORTS=1
  $CLI run-elf $R/rtos-r1.elf --trace --max-insns 200000000 2>&1 >/dev/null | node guests/rtos/trace-paths.mjs $R/rtos-r1.elf
fi
echo "all passed"
