// Host-side state in a snapshot: each stateful device (and board, and the hypervisor) writes its
// state as a plain JSON value (saveState) and reads it back through a StateReader (loadState).
// A snapshot file is input like any other — truncated, corrupted or crafted — so every read
// checks type and range and fails with a SnapshotError naming the field; a device never sees a
// value it could not have had itself.
//
// Encodings: 64-bit counters and clock values (bigint) as decimal strings, byte arrays as
// base64 strings, word arrays as arrays of numbers. Nothing here imports Node modules.

/** The most console input a snapshot may hold waiting for one device (the CLI reads at most
 *  64 MiB of --input; a library user may push more). */
export const MAX_SNAPSHOT_INPUT = 256 * 1024 * 1024;

/** A JSON value as a device's state. */
export type StateValue = number | boolean | string | null | StateValue[] | { [key: string]: StateValue };

/** A snapshot cannot be used: what is wrong, in words. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/** Encoders for the values JSON has no type for. */
export const encode = {
  big(value: bigint): string {
    return value.toString();
  },
  bigOrNull(value: bigint | null): string | null {
    return value === null ? null : value.toString();
  },
  bytes(bytes: Uint8Array): string {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  },
  words(words: Uint32Array): number[] {
    return Array.from(words);
  },
};

export class StateReader {
  constructor(private readonly value: unknown, readonly path: string) {}

  private fail(name: string, what: string): never {
    throw new SnapshotError(`snapshot: ${this.path}.${name} ${what}`);
  }

  private field(name: string): unknown {
    if (typeof this.value !== "object" || this.value === null || Array.isArray(this.value)) {
      throw new SnapshotError(`snapshot: ${this.path} is not an object`);
    }
    if (!Object.prototype.hasOwnProperty.call(this.value, name)) this.fail(name, "is missing");
    return (this.value as Record<string, unknown>)[name];
  }

  /** This value is null. */
  isNull(): boolean {
    return this.value === null;
  }

  /** This value as a string (an entry of a list). */
  asStr(maxLength = 4096): string {
    if (typeof this.value !== "string" || this.value.length > maxLength) {
      throw new SnapshotError(`snapshot: ${this.path} must be a string of at most ${maxLength} characters`);
    }
    return this.value;
  }

  /** This value as bytes (base64; an entry of a list). */
  asBytes(maxLength: number): Uint8Array {
    return new StateReader({ v: this.value }, this.path).bytes("v", maxLength);
  }

  has(name: string): boolean {
    return typeof this.value === "object" && this.value !== null && Object.prototype.hasOwnProperty.call(this.value, name);
  }

  /** An integer in [min, max]. */
  int(name: string, min: number, max: number): number {
    const v = this.field(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) this.fail(name, `must be an integer from ${min} to ${max}`);
    return v;
  }

  intOrNull(name: string, min: number, max: number): number | null {
    return this.field(name) === null ? null : this.int(name, min, max);
  }

  /** A 32-bit word (signed or unsigned as written), returned as stored. */
  word(name: string): number {
    const v = this.field(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < -0x8000_0000 || v > 0xffff_ffff) this.fail(name, "must be a 32-bit integer");
    return v;
  }

  bool(name: string): boolean {
    const v = this.field(name);
    if (typeof v !== "boolean") this.fail(name, "must be true or false");
    return v;
  }

  str(name: string, maxLength = 4096): string {
    const v = this.field(name);
    if (typeof v !== "string" || v.length > maxLength) this.fail(name, `must be a string of at most ${maxLength} characters`);
    return v;
  }

  strOrNull(name: string, maxLength = 4096): string | null {
    return this.field(name) === null ? null : this.str(name, maxLength);
  }

  /** A bigint in [min, max] (written as a decimal string). */
  big(name: string, min = 0n, max = (1n << 64n) - 1n): bigint {
    const v = this.field(name);
    if (typeof v !== "string" || !/^-?\d{1,40}$/.test(v)) this.fail(name, "must be an integer written as a decimal string");
    const b = BigInt(v);
    if (b < min || b > max) this.fail(name, `must be from ${min} to ${max}`);
    return b;
  }

  bigOrNull(name: string, min = 0n, max = (1n << 64n) - 1n): bigint | null {
    return this.field(name) === null ? null : this.big(name, min, max);
  }

  /** Bytes written in base64, at most `maxLength` of them. */
  bytes(name: string, maxLength: number): Uint8Array<ArrayBuffer> {
    const v = this.field(name);
    if (typeof v !== "string" || v.length > Math.ceil(maxLength / 3) * 4 + 4) this.fail(name, `must be base64 of at most ${maxLength} bytes`);
    let raw: string;
    try {
      raw = atob(v);
    } catch {
      this.fail(name, "is not valid base64");
    }
    if (raw.length > maxLength) this.fail(name, `holds more than ${maxLength} bytes`);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  /** Exactly `length` 32-bit unsigned words. */
  words(name: string, length: number): Uint32Array {
    const v = this.field(name);
    if (!Array.isArray(v) || v.length !== length) this.fail(name, `must be an array of ${length} words`);
    const out = new Uint32Array(length);
    v.forEach((w, i) => {
      if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 0xffff_ffff) this.fail(`${name}[${i}]`, "must be a 32-bit unsigned integer");
      out[i] = w;
    });
    return out;
  }

  /** The value as it is (for a validator of its own, such as the system description's). */
  raw(name: string): unknown {
    return this.field(name);
  }

  child(name: string): StateReader {
    return new StateReader(this.field(name), `${this.path}.${name}`);
  }

  childOrNull(name: string): StateReader | null {
    return this.field(name) === null ? null : this.child(name);
  }

  /** An array of at most `maxLength` entries, each read through its own reader. */
  list(name: string, maxLength: number): StateReader[] {
    const v = this.field(name);
    if (!Array.isArray(v) || v.length > maxLength) this.fail(name, `must be an array of at most ${maxLength} entries`);
    return v.map((e, i) => new StateReader(e, `${this.path}.${name}[${i}]`));
  }

  /** One of `choices`. */
  oneOf<T extends string>(name: string, choices: readonly T[]): T {
    const v = this.field(name);
    if (typeof v !== "string" || !choices.includes(v as T)) this.fail(name, `must be one of ${choices.join(", ")}`);
    return v as T;
  }
}

/** A device, board or other host object whose state a snapshot carries. */
export interface Snapshotable {
  saveState(): StateValue;
  loadState(state: StateReader): void;
}
