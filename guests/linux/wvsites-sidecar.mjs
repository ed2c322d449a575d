// Turns the .wvsites section of an afterburned vmlinux (dumped by objcopy) into the site table
// the loader reads beside a raw Image (docs/previrt.md): the same 8-byte entries (see
// src/tools/afterburn/sites.ts), word 0 an offset from the Image's first byte instead of a link
// address. Entries outside the Image (address 0: a site in a section the link discarded) are
// dropped and counted.
//
//   node wvsites-sidecar.mjs VMLINUX.wvsites START_HEX IMAGE_BYTES OUT
import { readFileSync, writeFileSync } from "node:fs";

const [input, startHex, imageBytes, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: node wvsites-sidecar.mjs VMLINUX.wvsites START_HEX IMAGE_BYTES OUT");
  process.exit(2);
}
const start = parseInt(startHex, 16);
const size = Number(imageBytes);
const raw = readFileSync(input);
const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
const out = [];
let dropped = 0;
const kinds = {};
const NAMES = { 1: "csrrw", 2: "csrrs", 3: "csrrc", 5: "csrrwi", 6: "csrrsi", 7: "csrrci", 8: "sret", 9: "mret", 10: "wfi", 11: "sfence.vma" };
for (let i = 0; i + 8 <= raw.length; i += 8) {
  const addr = view.getUint32(i, true);
  const info = view.getUint32(i + 4, true);
  const offset = addr - start;
  if (addr === 0 || offset < 0 || offset + 4 > size) {
    dropped++;
    continue;
  }
  const k = NAMES[info & 15] ?? "?";
  kinds[k] = (kinds[k] ?? 0) + 1;
  out.push([offset, info]);
}
const buf = Buffer.alloc(out.length * 8);
out.forEach(([o, info], j) => {
  buf.writeUInt32LE(o, j * 8);
  buf.writeUInt32LE(info, j * 8 + 4);
});
writeFileSync(output, buf);
console.log(`linux: ${out.length} sites in the Image (${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(", ")}), ${dropped} dropped (outside it) → ${output}`);
