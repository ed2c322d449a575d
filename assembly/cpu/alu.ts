// Integer computation shared by the 32-bit and compressed encodings: the M extension and the
// AMO operations. (Single-operation ALU cases are written in place in exec.ts.)

import { mul32, mulh, mulhu, mulhsu } from "../shim";

const INT_MIN: i32 = -2147483648;

/** MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU by funct3 (unprivileged spec §7.1, §7.2). */
export function mulDiv(f3: i32, a: i32, b: i32): i32 {
  switch (f3) {
    case 0: return mul32(a, b);
    case 1: return mulh(a, b);
    case 2: return mulhsu(a, b);
    case 3: return mulhu(a, b);
    case 4: // DIV: x/0 = -1, overflow gives the dividend
      if (b == 0) return -1;
      if (a == INT_MIN && b == -1) return INT_MIN;
      return i32(a / b);
    case 5: // DIVU
      if (b == 0) return -1;
      return i32(u32(a) / u32(b));
    case 6: // REM: x%0 = x, overflow gives 0
      if (b == 0) return a;
      if (a == INT_MIN && b == -1) return 0;
      return i32(a % b);
    default: // REMU
      if (b == 0) return a;
      return i32(u32(a) % u32(b));
  }
}

/**
 * New memory value of an AMO (funct5 of the A extension) applied to `old` and `src`, or
 * AMO_ILLEGAL for an encoding that is not an AMO (LR/SC are handled by the caller).
 */
export function amoCompute(f5: i32, old: i32, src: i32): i32 {
  switch (f5) {
    case 0x00: return i32(old + src); // AMOADD
    case 0x01: return src; // AMOSWAP
    case 0x04: return old ^ src; // AMOXOR
    case 0x08: return old | src; // AMOOR
    case 0x0c: return old & src; // AMOAND
    case 0x10: return old < src ? old : src; // AMOMIN
    case 0x14: return old > src ? old : src; // AMOMAX
    case 0x18: return u32(old) < u32(src) ? old : src; // AMOMINU
    default: return u32(old) > u32(src) ? old : src; // AMOMAXU (0x1c)
  }
}

/** True for funct5 values that name an AMO operation. */
export function amoValid(f5: i32): bool {
  return f5 == 0x00 || f5 == 0x01 || f5 == 0x04 || f5 == 0x08 || f5 == 0x0c ||
    f5 == 0x10 || f5 == 0x14 || f5 == 0x18 || f5 == 0x1c;
}
