#!/bin/bash
# test-qemu-user.sh OUTDIR - exercise the userland built by build.sh OUTDIR
# with qemu-riscv32 (QEMU user mode: rv32 code, host kernel syscalls).
#
# Things to know about qemu-user that shape these tests:
#  - execve() from a guest goes to the host kernel.  With no binfmt_misc
#    registration for RISC-V, exec'ing one of our rv32 binaries fails
#    (ENOEXEC), but exec'ing a host program (/bin/true, /bin/sh) works.
#    So the shell and forkexec exec host programs here, and for the shell's
#    PATH lookup we provide a directory of wrapper scripts ("ls" runs
#    "qemu-riscv32 OUTDIR/bin/ls").
#  - reboot(2) and mount(2) are passed to the host kernel.  poweroff,
#    mount/umount and init are therefore only run inside fresh user + mount
#    + pid namespaces (unshare), and skipped if those are unavailable.
# Exits non-zero if any check fails.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
OUT=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
Q=$(command -v qemu-riscv32)
B=$OUT/bin
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export LC_ALL=C

pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
skipped() { skip=$((skip + 1)); echo "skip $1"; }
# eq NAME EXPECTED ACTUAL
eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        bad "$1"
        printf '     expected: %q\n     actual:   %q\n' "$2" "$3"
    fi
}
# has NAME NEEDLE HAYSTACK
has() {
    if [[ "$3" == *"$2"* ]]; then ok "$1"; else
        bad "$1"
        printf '     missing %q in:\n%s\n' "$2" "$3"
    fi
}
# run PROGRAM ARGS... : run an rv32 program; sets $out (stdout), $err, $rc
run() {
    rc=0
    "$Q" "$@" >"$T/stdout" 2>"$T/stderr" </dev/null || rc=$?
    out=$(cat "$T/stdout")
    err=$(cat "$T/stderr")
}
# sh_in INPUT [ARGS] : feed INPUT to the shell on stdin, PATH = wrappers
sh_in() {
    rc=0
    printf '%s' "$1" | PATH=$T/wrap "$Q" "$B/sh" "${@:2}" >"$T/stdout" 2>"$T/stderr" || rc=$?
    out=$(cat "$T/stdout")
    err=$(cat "$T/stderr")
}

# ---- ELF sanity ------------------------------------------------------------
for f in "$OUT/init" "$B"/*; do
    n=${f#"$OUT/"}
    hdr=$(riscv64-unknown-elf-readelf -hlW "$f")
    bad_elf=""
    grep -q 'Class:.*ELF32' <<<"$hdr" || bad_elf+=" class"
    grep -q 'Type:.*EXEC' <<<"$hdr" || bad_elf+=" type"
    grep -q 'Machine:.*RISC-V' <<<"$hdr" || bad_elf+=" machine"
    grep -q 'Flags:.*soft-float' <<<"$hdr" || bad_elf+=" float-abi"
    # every PT_LOAD: offset == vaddr (mod 4096), align 0x1000; first at 0x10000
    loads=$(awk '$1 == "LOAD" { print $2, $3, $NF }' <<<"$hdr")
    first=$(head -1 <<<"$loads" | awk '{ print $2 }')
    [ "$first" = 0x00010000 ] || bad_elf+=" base=$first"
    while read -r off va al; do
        [ $((off % 4096)) -eq $((va % 4096)) ] || bad_elf+=" congruence($off,$va)"
        [ "$al" = 0x1000 ] || bad_elf+=" align=$al"
    done <<<"$loads"
    size=$(stat -c %s "$f")
    [ "$size" -le 16384 ] || bad_elf+=" size=$size"
    if [ -z "$bad_elf" ]; then ok "elf $n ($size bytes)"; else bad "elf $n:$bad_elf"; fi
done

# reproducible: a second build into another directory is byte-identical
"$SRC/build.sh" "$T/rebuild" >/dev/null
same=1
for f in init $(cd "$B" && ls | sed 's|^|bin/|'); do
    cmp -s "$OUT/$f" "$T/rebuild/$f" || { same=0; echo "     differs: $f"; }
done
[ $same = 1 ] && ok "reproducible build" || bad "reproducible build"

# wrappers so that the shell's PATH lookup finds runnable programs
mkdir -p "$T/wrap"
for f in "$B"/*; do
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$Q" "$f" >"$T/wrap/${f##*/}"
    chmod +x "$T/wrap/${f##*/}"
done

# ---- simple tools --------------------------------------------------------------
run "$B/true"; eq "true" 0 "$rc"
run "$B/false"; eq "false" 1 "$rc"
run "$B/echo" hello "big  world"; eq "echo" "hello big  world" "$out"
run "$B/echo" -n x; eq "echo -n (no newline)" "x|" "$(cat "$T/stdout"; echo '|')"
run "$B/sync"; eq "sync" 0 "$rc"

printf 'line1\nline2\n' >"$T/f1"
run "$B/cat" "$T/f1"; eq "cat file" $'line1\nline2' "$out"
rc=0; out=$(printf 'from stdin\n' | "$Q" "$B/cat") || rc=$?; eq "cat stdin" "from stdin" "$out"
run "$B/cat" "$T/nonexistent"; eq "cat missing: status" 1 "$rc"
has "cat missing: message" "No such file or directory (ENOENT)" "$err"

run "$B/uname"; eq "uname" Linux "$out"
run "$B/uname" -m; eq "uname -m" riscv32 "$out"
run "$B/uname" -a; has "uname -a" "Linux $(uname -n) $(uname -r)" "$out"
[[ "$out" == *" riscv32" ]] && ok "uname -a ends with machine" || bad "uname -a ends with machine"
run "$B/uname" -x; eq "uname bad option" 2 "$rc"
run "$B/counters"; eq "counters" "time advances, cycle advances, instret advances" "$out"

# date: the host's clock, in UTC, as `date -u` prints it (the minute may turn between the two)
before=$(date -u '+%a %b %e %H:%M'); run "$B/date"; after=$(date -u '+%a %b %e %H:%M')
[[ "$out" == "$before":??" UTC "* || "$out" == "$after":??" UTC "* ]] && ok "date" || bad "date: $out"
[[ "$out" == *" UTC $(date -u +%Y)" ]] && ok "date: year" || bad "date: year: $out"
run "$B/date" -x; eq "date bad option" 2 "$rc"

mkdir -p "$T/d/sub"
: >"$T/d/b"; printf 12345 >"$T/d/a"; : >"$T/d/C"; : >"$T/d/.hidden"; ln -s a "$T/d/link"
run "$B/ls" "$T/d"; eq "ls sorted" $'C\na\nb\nlink\nsub' "$out"
run "$B/ls" -a "$T/d"; eq "ls -a" $'.\n..\n.hidden\nC\na\nb\nlink\nsub' "$out"
run "$B/ls" -l "$T/d"
has "ls -l file" "-rw-r--r--   1         5 a" "$out"
has "ls -l dir" "drwxr-xr-x" "$out"
has "ls -l symlink" "l" "$(grep ' link -> a' <<<"$out" | cut -c1)"
run "$B/ls" -l /dev/null; has "ls -l chardev" "crw-rw-rw-   1      1, 3 /dev/null" "$out"
run "$B/ls" "$T/d/a" "$T/nope"; eq "ls missing: status" 1 "$rc"
has "ls missing: message" "ENOENT" "$err"
eq "ls file operand" "$T/d/a" "$out"

run "$B/mkdir" -p "$T/m/x/y"; eq "mkdir -p" 0 "$rc"
[ -d "$T/m/x/y" ] && ok "mkdir -p created" || bad "mkdir -p created"
run "$B/mkdir" "$T/m"; eq "mkdir existing: status" 1 "$rc"; has "mkdir existing: EEXIST" EEXIST "$err"
: >"$T/m/x/file"
run "$B/rm" "$T/m/x"; eq "rm dir without -r fails" 1 "$rc"
run "$B/rm" -r "$T/m"; eq "rm -r" 0 "$rc"
[ ! -e "$T/m" ] && ok "rm -r removed tree" || bad "rm -r removed tree"
run "$B/rm" "$T/nope"; eq "rm missing" 1 "$rc"
run "$B/rm" -f "$T/nope"; eq "rm -f missing" 0 "$rc"

start=$(date +%s%N)
run "$B/sleep" 0.3
el=$((($(date +%s%N) - start) / 1000000))
eq "sleep 0.3: status" 0 "$rc"
[ "$el" -ge 300 ] && ok "sleep 0.3 slept ${el}ms" || bad "sleep 0.3 slept only ${el}ms"
run "$B/sleep" 1x; eq "sleep bad arg" 2 "$rc"

# ps reads the host's /proc here
sleep 30 & sleeper=$!
run "$B/ps"
kill $sleeper; wait $sleeper 2>/dev/null || true
eq "ps header" "  PID STAT COMMAND" "$(head -1 <<<"$out")"
has "ps lists a sleeping process" "$(printf '%5d S    sleep 30' $sleeper)" "$out"
# (qemu-user fakes /proc/self/stat for the guest, with state "0")
grep -Eq "^ *[0-9]+ . +$B/ps\$" <<<"$out" && ok "ps lists itself" || bad "ps lists itself"

run "$B/dmesg"
if [ $rc = 0 ]; then ok "dmesg (read host log)"; else has "dmesg error is reported" "syslog:" "$err"; fi

run "$B/mount"; has "mount lists /proc/mounts" "proc /proc proc" "$out"
run "$B/mount" -t; eq "mount usage" 2 "$rc"
run "$B/umount" "$T/nope"; eq "umount missing dir" 1 "$rc"

# forkexec: the children exec the HOST's /bin/true (works under qemu-user)
run "$B/forkexec" 5; eq "forkexec 5" "forkexec: 5 children, all exited 0" "$out"; eq "forkexec 5: status" 0 "$rc"
run "$B/forkexec" -p 5; eq "forkexec -p 5" "forkexec: 5 children, all exited 0" "$out"
run "$B/forkexec" -x 7; eq "forkexec -x 7" "forkexec: 7 children, all exited 0" "$out"
run "$B/forkexec"; eq "forkexec default 20" "forkexec: 20 children, all exited 0" "$out"
run "$B/forkexec" -p -x 30; eq "forkexec -p -x 30" "forkexec: 30 children, all exited 0" "$out"
run "$B/forkexec" -e /bin/false 3; eq "forkexec failing children" "forkexec: 3 children, 3 failed" "$out"
eq "forkexec failing: status" 1 "$rc"
has "forkexec failing: detail" "exited with status 1" "$err"
run "$B/forkexec" -p -e "$T/nope" 2; has "forkexec exec error" "ENOENT" "$err"
eq "forkexec exec error: summary" "forkexec: 2 children, 2 failed" "$out"
run "$B/forkexec" -t 3; has "forkexec -t" "us per child" "$out"

# ---- shell -----------------------------------------------------------------------
sh_in $'echo hi\n'; eq "sh echo" hi "$out"; eq "sh prompt on stderr" "# # " "$err"; eq "sh EOF status" 0 "$rc"
sh_in $'exit 3\n'; eq "sh exit 3" 3 "$rc"
sh_in $'/bin/false\n'; eq "sh EOF after failure exits 0" 0 "$rc"
sh_in $'echo "a  b" \'c $? d\' x\\ y "q\\"q" \'\'e\n'; eq "sh quoting" "a  b c \$? d x y q\"q e" "$out"
sh_in $'echo one; echo two;echo three\n'; eq "sh ;" $'one\ntwo\nthree' "$out"
sh_in $'/bin/false; echo $?; /bin/true; echo $?\n'; eq "sh \$?" $'1\n0' "$out"
sh_in $'/bin/true && echo and1 || echo or1\n/bin/false && echo and2 || echo or2\n'; eq "sh && ||" $'and1\nor2' "$out"
sh_in "echo first > $T/r1; echo second >> $T/r1; cat < $T/r1"$'\n'; eq "sh > >> <" $'first\nsecond' "$out"
eq "sh redirect wrote file" $'first\nsecond' "$(cat "$T/r1")"
sh_in "echo x >$T/r2; /bin/ls $T/nope 2>$T/r3; echo \$?"$'\n'; eq "sh 2> status" 2 "$out"
has "sh 2> captured" "nope" "$(cat "$T/r3")"
sh_in "echo to-stderr 1>&2"$'\n'; has "sh 1>&2" "to-stderr" "$err"
sh_in $'cd /tmp\npwd\ncd\npwd\ncd /nonexistent\necho $?\n'; eq "sh cd/pwd" $'/tmp\n/\n1' "$out"
has "sh cd error" "sh: cd: /nonexistent: No such file or directory" "$err"
sh_in $'nosuchcmd arg\necho $?\n'; eq "sh not found status" 127 "$out"; has "sh not found message" "sh: nosuchcmd: not found" "$err"
sh_in $'/nonexistent/cmd\necho $?\n'; eq "sh not found (path)" 127 "$out"
has "sh not found (path) message" "sh: /nonexistent/cmd: not found" "$err"
sh_in $'/bin/sh -c \'kill -9 $$\'\necho $?\n'; eq "sh killed status" 137 "$out"
has "sh killed message" "sh: /bin/sh: killed by signal 9" "$err"
sh_in $'# a comment\necho visible # hidden\n'; eq "sh comments" visible "$out"
sh_in $'echo pipe data | cat | cat\n'; eq "sh pipeline (rv32 tools via PATH)" "pipe data" "$out"
sh_in $'ls '"$T/d"$'\n'; eq "sh PATH lookup runs ls" $'C\na\nb\nlink\nsub' "$out"
sh_in $'export GREETING=hello; echo $GREETING ${GREETING}! "$GREETING"; unset GREETING; echo [$GREETING]\n'
eq "sh variables" $'hello hello! hello\n[]' "$out"
sh_in $'help\n'; has "sh help" "builtins: cd" "$out"
sh_in $'echo "unterminated\necho after\n'; has "sh syntax error" "syntax error" "$err"; eq "sh continues after error" after "$out"
sh_in $'/bin/true &\necho bg\n'; has "sh background" bg "$out"
rc=0; out=$(PATH=$T/wrap "$Q" "$B/sh" -c 'echo c1; echo c2
exit 7') || rc=$?
eq "sh -c output" $'c1\nc2' "$out"; eq "sh -c exit status" 7 "$rc"
rc=0; PATH=$T/wrap "$Q" "$B/sh" -c '/bin/false' || rc=$?; eq "sh -c status of last command" 1 "$rc"
printf 'echo script line 1\n# comment\necho "script $?"\n/bin/false\n' >"$T/script"
rc=0; out=$(PATH=$T/wrap "$Q" "$B/sh" "$T/script" 2>"$T/stderr") || rc=$?
eq "sh SCRIPT output" $'script line 1\nscript 0' "$out"; eq "sh SCRIPT status" 1 "$rc"
eq "sh SCRIPT has no prompt" "" "$(cat "$T/stderr")"

# ---- namespace-only tests (mount, poweroff, init) ---------------------------------
if unshare -rmpf --kill-child true 2>/dev/null; then
    mkdir -p "$T/mnt"
    rc=0
    out=$(unshare -rm bash -c "'$Q' '$B/mount' -t tmpfs -o size=1m,nodev none '$T/mnt' &&
        echo data > '$T/mnt/f' && '$Q' '$B/mount' | grep ' $T/mnt ' &&
        '$Q' '$B/umount' '$T/mnt' && test ! -e '$T/mnt/f' && echo unmounted" 2>&1) || rc=$?
    has "mount -t tmpfs -o size=1m,nodev (userns)" "none $T/mnt tmpfs rw,nodev" "$out"
    has "umount (userns)" unmounted "$out"

    # reboot(2) in a child pid namespace only ends that namespace: its init
    # (here: poweroff itself) is reported as killed by SIGINT for POWER_OFF
    # and SIGHUP for RESTART.  Guard: refuse unless we really are PID 1 of a
    # new pid namespace.
    hostns=$(readlink /proc/self/ns/pid)
    for spec in 130: 129:-r; do
        want=${spec%%:*} opt=${spec#*:}
        # (the { } 2>/dev/null keeps bash from announcing "Hangup")
        rc=$( { timeout -s KILL 20 unshare -rpf --kill-child bash -c \
            "[ \$\$ = 1 ] && [ \"\$(readlink /proc/self/ns/pid)\" != '$hostns' ] && exec '$Q' '$B/poweroff' $opt"
            echo $?; } 2>/dev/null)
        eq "poweroff $opt (pid namespace: status 128+signal)" "$want" "$rc"
    done

    # init as PID 1 of a new pid namespace.  /bin/sh is bind-mounted (in the
    # private mount namespace) with a wrapper that runs our rv32 shell.
    printf '#!/usr/bin/bash\nexec %s %s "$@"\n' "$Q" "$B/sh" >"$T/sh-wrapper"
    chmod +x "$T/sh-wrapper"
    rc=0
    out=$(printf '%s\n' 'echo hello from sh' \
        '/usr/bin/bash -c "/usr/bin/sleep 0.2 & exit 0"' '/usr/bin/sleep 0.8' \
        "/usr/bin/ps -eo stat=,comm= > $T/ps.txt" 'exit 5' |
        timeout -s KILL 6 unshare --kill-child -rmpfn --mount-proc \
            bash -c "mount --bind '$T/sh-wrapper' /bin/sh && exec '$Q' '$OUT/init'" 2>&1) || rc=$?
    eq "init banner" "wasmvisor userland: init started" "$(head -1 <<<"$out")"
    has "init runs the shell" "# hello from sh" "$out"
    has "init respawns the shell" "init: shell exited with status 5, restarting" "$out"
    has "init respawns again (EOF -> 0)" "init: shell exited with status 0, restarting" "$out"
    if [ -s "$T/ps.txt" ] && ! grep -q '^Z' "$T/ps.txt"; then ok "init reaped the orphan (no zombies)"; else
        bad "init reaped the orphan (no zombies)"; cat "$T/ps.txt" 2>/dev/null || true; fi
    rc=0; out=$("$Q" "$OUT/init" 2>&1) || rc=$?
    eq "init refuses to run as non-PID-1" 1 "$rc"
else
    skipped "mount/umount, poweroff, init: unshare (user+mount+pid namespaces) unavailable"
fi

echo "passed $pass, failed $fail, skipped $skip"
[ $fail = 0 ]
