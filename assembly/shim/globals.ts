// Narrowing conversions for the pure-TS build. In AssemblyScript i32(), u32() … are built-in
// casts; in the pure-TS core esbuild injects these functions wherever the portable source
// names them (scripts/build.mjs), so `i32(a + b)` wraps exactly like the Wasm i32.add.
// Their types come from assemblyscript/std/types/portable (see assembly/tsconfig.json).

export function i32(value: number): number { return value | 0; }
export function u32(value: number): number { return value >>> 0; }
export function i16(value: number): number { return (value << 16) >> 16; }
export function u16(value: number): number { return value & 0xffff; }
export function i8(value: number): number { return (value << 24) >> 24; }
export function u8(value: number): number { return value & 0xff; }
