// The shim, pure-TypeScript flavour: the twin of ./index.ts (read that file first). The build
// (scripts/build.mjs) bundles assembly/ with this file in place of ./index.ts and with the
// narrowing functions of ./globals.ts, producing the pure-TS core.
//
// The linear memory is an ArrayBuffer owned by the host and attached with shimAttach(). Aligned
// word and halfword accesses go through typed-array views; the core only issues aligned
// accesses here, except fetch32 (2-aligned), which composes two halfwords.

let U8: Uint8Array = new Uint8Array(0);
let I8: Int8Array = new Int8Array(0);
let U16: Uint16Array = new Uint16Array(0);
let I16: Int16Array = new Int16Array(0);
let I32: Int32Array = new Int32Array(0);

/** The host's device callbacks, the same functions the Wasm core imports as env.mmioRead/Write. */
export interface ShimHost {
  mmioRead(device: number, offset: number, size: number): number;
  mmioWrite(device: number, offset: number, size: number, value: number): void;
  hypercall(vcpu: number, eid: number, fid: number): void;
  /** The JavaScript back end of the translator (src/jit/js-backend.ts): the source of a region's
   *  function from its IR at `ir`, or null (docs/jit.md). */
  jitCompile?(ir: number): string | null;
}
let host: ShimHost = {
  mmioRead: () => 0,
  mmioWrite: () => {},
  hypercall: () => {},
};

/** Attach the linear memory and the host callbacks (pure-TS build only). */
export function shimAttach(buffer: ArrayBuffer, callbacks: ShimHost): void {
  U8 = new Uint8Array(buffer);
  I8 = new Int8Array(buffer);
  U16 = new Uint16Array(buffer);
  I16 = new Int16Array(buffer);
  I32 = new Int32Array(buffer);
  host = callbacks;
}

export function load8(addr: number): number { return U8[addr]; }
export function load8s(addr: number): number { return I8[addr]; }
export function load16(addr: number): number { return U16[addr >> 1]; }
export function load16s(addr: number): number { return I16[addr >> 1]; }
export function load32(addr: number): number { return I32[addr >> 2]; }
export function fetch32(addr: number): number {
  return (addr & 3) === 0 ? I32[addr >> 2] : U16[addr >> 1] | (U16[(addr >> 1) + 1] << 16);
}
export function store8(addr: number, value: number): void { U8[addr] = value; }
export function store16(addr: number, value: number): void { U16[addr >> 1] = value; }
export function store32(addr: number, value: number): void { I32[addr >> 2] = value; }
export function memFill(addr: number, value: number, length: number): void {
  U8.fill(value, addr, addr + length);
}

/** Copy `length` bytes from `src` to `dst` (the ranges do not overlap). */
export function memCopy(dst: number, src: number, length: number): void {
  U8.copyWithin(dst, src, src + length);
}

// Atomics: the twins of ./index.ts's (Atomics on the Int32Array view; a SharedArrayBuffer in
// the threaded build, where each thread runs its own instance of this module).
export function atomicCas32(addr: number, expected: number, replacement: number): number {
  return Atomics.compareExchange(I32, addr >> 2, expected, replacement);
}
export function atomicLoad32(addr: number): number { return Atomics.load(I32, addr >> 2); }
export function atomicAdd32(addr: number, value: number): number { return Atomics.add(I32, addr >> 2, value); }
export function atomicSwap32(addr: number, value: number): number { return Atomics.exchange(I32, addr >> 2, value); }
export function atomicAnd32(addr: number, value: number): number { return Atomics.and(I32, addr >> 2, value); }
export function atomicOr32(addr: number, value: number): number { return Atomics.or(I32, addr >> 2, value); }
export function atomicXor32(addr: number, value: number): number { return Atomics.xor(I32, addr >> 2, value); }
export function atomicWait32(addr: number, expected: number, timeoutUs: number): void {
  Atomics.wait(I32, addr >> 2, expected, timeoutUs / 1000);
}
export function atomicNotify(addr: number): void {
  Atomics.notify(I32, addr >> 2);
}
/** A full barrier: JavaScript has no fence of its own, but every Atomics operation is one
 *  (sequentially consistent); this one changes nothing at `scratch`, a word of the thread's. */
export function atomicFence(scratch: number): void { Atomics.add(I32, scratch >> 2, 0); }

export function mul32(a: number, b: number): number { return Math.imul(a, b); }

/** High word of the unsigned product, from 16-bit partial products (each below 2^53, exact). */
export function mulhu(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, m1 = ah * bl, m2 = al * bh;
  const carry = ((ll >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
  return (ah * bh + (m1 >>> 16) + (m2 >>> 16) + carry) | 0;
}
/** Signed high word: the unsigned one corrected by two's-complement identities. */
export function mulh(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}
export function mulhsu(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b : 0)) | 0;
}

/** Leading zero bits of a word (32 for 0). */
export function clz32(a: number): number { return Math.clz32(a); }

/** {hi,lo} / d by long division in 16-bit steps so every intermediate stays exact. */
function udiv64(hi: number, lo: number, d: number, wantHi: boolean): number {
  const h = hi >>> 0, l = lo >>> 0, dv = d >>> 0;
  const qh = Math.floor(h / dv);
  const r = h - qh * dv;
  const x = r * 65536 + (l >>> 16);
  const q1 = Math.floor(x / dv);
  const y = (x - q1 * dv) * 65536 + (l & 0xffff);
  const q0 = Math.floor(y / dv);
  return wantHi ? qh | 0 : (q1 * 65536 + q0) | 0;
}
export function udiv64Lo(hi: number, lo: number, d: number): number { return udiv64(hi, lo, d, false); }
export function udiv64Hi(hi: number, lo: number, d: number): number { return udiv64(hi, lo, d, true); }

export function hostMmioRead(device: number, offset: number, size: number): number {
  return host.mmioRead(device, offset, size) | 0;
}
export function hostMmioWrite(device: number, offset: number, size: number, value: number): void {
  host.mmioWrite(device, offset, size, value);
}
export function hostHypercall(vcpu: number, eid: number, fid: number): void {
  host.hypercall(vcpu, eid, fid);
}

// ── Translated code: the JavaScript back end's functions (docs/jit.md) ──────────────────────
// The host's back end (src/jit/js-backend.ts) turns a region's IR into the body of a function;
// it is compiled here, over this module's views of the memory, so translated code reaches guest
// memory exactly as the interpreter does and the host never holds a view of guest RAM.

/** A region: run from pc for at most `limit` instructions; returns those retired, the exit pc in
 *  jitState.pc. */
type JitFunction = (pc: number, limit: number, tlbLoad: number, tlbStore: number) => number;
const jitState = { pc: 0 };
const jitFunctions: Array<JitFunction | null> = [null];
const jitFree: number[] = [];
/** What generated code may call: the multiplications whose high words need more than 53 bits. */
const jitHelpers = { mulh, mulhsu, mulhu };

export function jitCompile(ir: number): number {
  const source = host.jitCompile ? host.jitCompile(ir) : null;
  if (source === null) return 0;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function("I32", "U8", "I8", "U16", "I16", "H", "S", source) as (...a: unknown[]) => JitFunction;
  const fn = make(I32, U8, I8, U16, I16, jitHelpers, jitState);
  const handle = jitFree.length > 0 ? jitFree.pop()! : jitFunctions.length;
  jitFunctions[handle] = fn;
  return handle;
}
export function jitExec(handle: number, pc: number, limit: number, tlbLoad: number, tlbStore: number): number {
  return jitFunctions[handle]!(pc, limit, tlbLoad, tlbStore);
}
export function jitExitPc(): number { return jitState.pc; }
export function jitRelease(handle: number): void {
  if (jitFunctions[handle] === null) return;
  jitFunctions[handle] = null;
  jitFree.push(handle);
}
