// The shim, WebAssembly flavour: the only code in assembly/ that is specific to asc.
// Its twin for the pure-TS build is ./index.portable.ts; the two export the same names with the same
// meaning, and scripts/build.mjs swaps one for the other. Keep them side by side when editing.
//
// Everything here is tiny and is inlined by asc.

// ── Raw linear-memory access ────────────────────────────────────────────────────────────────
// Addresses are host addresses (offsets into the linear memory), never guest addresses.

/** Zero-extended byte. */
@inline export function load8(addr: i32): i32 { return <i32>load<u8>(addr); }
/** Sign-extended byte. */
@inline export function load8s(addr: i32): i32 { return <i32>load<i8>(addr); }
/** Zero-extended halfword; addr must be 2-aligned. */
@inline export function load16(addr: i32): i32 { return <i32>load<u16>(addr); }
/** Sign-extended halfword; addr must be 2-aligned. */
@inline export function load16s(addr: i32): i32 { return <i32>load<i16>(addr); }
/** Word; addr must be 4-aligned. */
import { SYS_JIT_EXIT_PC } from "../layout";

@inline export function load32(addr: i32): i32 { return load<i32>(addr); }
/** Instruction fetch: 32 bits from a 2-aligned address (the upper half may be the next parcel). */
@inline export function fetch32(addr: i32): i32 { return load<i32>(addr); }
@inline export function store8(addr: i32, value: i32): void { store<u8>(addr, value); }
@inline export function store16(addr: i32, value: i32): void { store<u16>(addr, value); }
@inline export function store32(addr: i32, value: i32): void { store<i32>(addr, value); }

/** Fill `length` bytes at `addr` with `value`. */
export function memFill(addr: i32, value: i32, length: i32): void { memory.fill(addr, <u8>value, length); }
/** Copy `length` bytes from `src` to `dst` (the ranges do not overlap). */
export function memCopy(dst: i32, src: i32, length: i32): void { memory.copy(dst, src, length); }

// ── Atomics (the threaded build: harts on parallel host threads over one shared memory) ─────
// Word operations on a 4-aligned host address, sequentially consistent. The one-thread cores
// never reach them (kernel code calls them under `if (THREADED)`, a constant asc folds away).

/** Store `replacement` at `addr` if the word there is `expected`; returns the word found. */
@inline export function atomicCas32(addr: i32, expected: i32, replacement: i32): i32 {
  return atomic.cmpxchg<i32>(addr, expected, replacement);
}
/** The word at `addr`, read atomically (sequentially consistent). */
@inline export function atomicLoad32(addr: i32): i32 { return atomic.load<i32>(addr); }
@inline export function atomicAdd32(addr: i32, value: i32): i32 { return atomic.add<i32>(addr, value); }
@inline export function atomicSwap32(addr: i32, value: i32): i32 { return atomic.xchg<i32>(addr, value); }
@inline export function atomicAnd32(addr: i32, value: i32): i32 { return atomic.and<i32>(addr, value); }
@inline export function atomicOr32(addr: i32, value: i32): i32 { return atomic.or<i32>(addr, value); }
@inline export function atomicXor32(addr: i32, value: i32): i32 { return atomic.xor<i32>(addr, value); }
/** Sleep while the word at `addr` holds `expected`, at most `timeoutUs` microseconds (a worker
 *  thread only: the threaded build's remote fences wait for their targets). Through the host
 *  (Atomics.wait), not memory.atomic.wait32: V8's baseline compiler in Node 20 (Liftoff) was seen
 *  to lose a register-held value across that instruction in a wait loop, so a wait for another
 *  node's answer ended early with a stale answer; an import call spills as any call does. */
export function atomicWait32(addr: i32, expected: i32, timeoutUs: i32): void {
  hostWait(addr, expected, timeoutUs);
}
@external("env", "threadWait")
declare function hostWait(addr: i32, expected: i32, timeoutUs: i32): void;
/** Wake every thread sleeping on the word at `addr`. */
export function atomicNotify(addr: i32): void {
  atomic.notify(addr, 0x7fffffff);
}
/** A full memory barrier (a guest FENCE): an atomic no-op on `scratch`, a word of the thread's
 *  own (Binaryen refuses asc's atomic.fence; a locked no-op orders as much on every host). */
@inline export function atomicFence(scratch: i32): void { atomic.add<i32>(scratch, 0); }

// ── Arithmetic that needs 64 bits ───────────────────────────────────────────────────────────

/** Low 32 bits of a 32×32 multiply. */
@inline export function mul32(a: i32, b: i32): i32 { return a * b; }
/** High 32 bits of signed × signed (MULH). */
@inline export function mulh(a: i32, b: i32): i32 { return <i32>((<i64>a * <i64>b) >> 32); }
/** High 32 bits of unsigned × unsigned (MULHU). */
@inline export function mulhu(a: i32, b: i32): i32 {
  return <i32>((<u64><u32>a * <u64><u32>b) >>> 32);
}
/** High 32 bits of signed × unsigned (MULHSU). */
@inline export function mulhsu(a: i32, b: i32): i32 {
  return <i32>((<i64>a * <i64><u64><u32>b) >> 32);
}
/** Leading zero bits of a word (32 for 0). */
@inline export function clz32(a: i32): i32 { return clz<i32>(a); }
/** Low word of the unsigned 64-bit quotient {hi,lo} / d (d > 0). */
export function udiv64Lo(hi: i32, lo: i32, d: i32): i32 {
  return <i32>((((<u64><u32>hi) << 32) | <u64><u32>lo) / <u64><u32>d);
}
/** High word of the unsigned 64-bit quotient {hi,lo} / d (d > 0). */
export function udiv64Hi(hi: i32, lo: i32, d: i32): i32 {
  return <i32>(((((<u64><u32>hi) << 32) | <u64><u32>lo) / <u64><u32>d) >>> 32);
}

// ── Host imports ────────────────────────────────────────────────────────────────────────────
// The core knows no device: guest accesses to MMIO regions of the physical map are handed to
// the host with the region's device number and the offset inside the region.

/** Device read of `size` bytes (1, 2 or 4) at `offset` of device `device`. */
@external("env", "mmioRead")
export declare function hostMmioRead(device: i32, offset: i32, size: i32): i32;
/** Device write of `size` bytes (1, 2 or 4) at `offset` of device `device`. */
@external("env", "mmioWrite")
export declare function hostMmioWrite(device: i32, offset: i32, size: i32, value: i32): void;
/**
 * A slow hypercall the kernel forwards to the host (SBI console I/O): the host reads the
 * arguments from the running vCPU's registers (HART_X), does the work, and leaves the SBI error
 * and value in SYS_HC_ERROR / SYS_HC_VALUE.
 */
@external("env", "hypercall")
export declare function hostHypercall(vcpu: i32, eid: i32, fid: i32): void;

// ── Translated code (the translator's back end, docs/jit.md) ────────────────────────────────
// The host's Wasm back end (src/jit/wasm-backend.ts) compiles a region into a module that
// imports this memory, and puts its function in this module's function table (imported:
// env.table) at its handle; the core enters it with call_indirect, without a trip through the
// host.

/** Compile the region whose IR is at `ir` (assembly/jit/frontend.ts): a handle > 0, or 0. */
@external("env", "jitCompile")
export declare function jitCompile(ir: i32): i32;
/** Run region `handle` from `pc` for at most `limit` instructions with the given data TLB
 *  tables; the instructions retired (the pc it stopped at: jitExitPc()). */
// @ts-ignore: decorator
@inline
export function jitExec(handle: i32, pc: i32, limit: i32, tlbLoad: i32, tlbStore: i32): i32 {
  return call_indirect<i32>(<u32>handle, pc, limit, tlbLoad, tlbStore);
}
/** Where the last jitExec() stopped (the translated code wrote it there). */
export function jitExitPc(): i32 { return load<i32>(SYS_JIT_EXIT_PC); }
/** Region `handle` is dropped: its handle may be given out again. */
@external("env", "jitRelease")
export declare function jitRelease(handle: i32): void;
