// Reading kvdb's write-ahead log from the host file, as `kvdb check` reads it from /dev/vda
// (guests/linux/userland/cmd/kvdb.c, recover()): the same layout, the same stopping rule and the
// same checks of every record, so a test can check a disk image without booting Linux. The
// host-kill campaign uses both (this after every kill, the guest's `kvdb check` on the next boot)
// and requires them to agree.
//
// Layout: sector 0 = superblock {u32 magic "KVDB", version, run}; sector S >= 1 = transaction S
// {u32 magic "KVRL", run, seq, key, len; value[460]; pad[28]; u32 crc}, little-endian, crc =
// CRC-32 of the 20-byte header and the value's `len` bytes. Transaction S sets key S mod 64 to
// `len` = 16 + S mod 400 bytes, byte i = (S·31 + i·7) mod 256.

import { readFileSync } from "node:fs";

const SECTOR = 512;
const SUPER_MAGIC = 0x4244564b; // "KVDB"
const RECORD_MAGIC = 0x4c52564b; // "KVRL"
const KEYS = 64;
const VALUE_MAX = 460;
const VALUE_AT = 20;
const CRC_AT = SECTOR - 4;

export interface KvdbLog {
  /** The superblock's run id, or null when the image holds no log (no superblock). */
  run: number | null;
  /** Transactions replayed (the last good sequence number), keys set, corrupt records (0 or 1:
   *  the replay stops at the first). */
  recovered: number;
  keys: number;
  corrupt: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** What sector `seq` of the image holds: transaction `seq` of `run` intact, a damaged one, or
 *  something else (the end of the log). */
function recordState(image: Uint8Array, view: DataView, seq: number, run: number): "end" | "corrupt" | "good" {
  const at = seq * SECTOR;
  if (view.getUint32(at, true) !== RECORD_MAGIC || view.getUint32(at + 4, true) !== run || view.getUint32(at + 8, true) !== seq) {
    return "end"; // not the next record of this run: a torn or never-written tail
  }
  const key = view.getUint32(at + 12, true);
  const len = view.getUint32(at + 16, true);
  const crc = view.getUint32(at + CRC_AT, true);
  if (crc !== crc32(image.subarray(at, at + VALUE_AT + Math.min(len, VALUE_MAX)))) return "corrupt";
  if (key !== seq % KEYS || len !== 16 + (seq % 400)) return "corrupt";
  for (let i = 0; i < len; i++) {
    if (image[at + VALUE_AT + i] !== ((seq * 31 + i * 7) & 255)) return "corrupt";
  }
  return "good";
}

/** Replay the log in a disk image (a file, or its bytes). */
export function readKvdbLog(image: string | Uint8Array): KvdbLog {
  const bytes = typeof image === "string" ? new Uint8Array(readFileSync(image)) : image;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < SECTOR || view.getUint32(0, true) !== SUPER_MAGIC) return { run: null, recovered: 0, keys: 0, corrupt: 0 };
  const run = view.getUint32(8, true);
  const total = Math.floor(bytes.length / SECTOR);
  const seen = new Set<number>();
  let seq = 0;
  let corrupt = 0;
  while (seq + 1 < total) {
    const state = recordState(bytes, view, seq + 1, run);
    if (state === "end") break;
    if (state === "corrupt") {
      corrupt++;
      break;
    }
    seq++;
    seen.add(seq % KEYS);
  }
  return { run, recovered: seq, keys: seen.size, corrupt };
}
