// The committed guest ELFs must match their sources (guests/manifest.json records the hashes;
// `npm run guests` rebuilds both).
import { describe, expect, it } from "vitest";
import { checkManifest } from "../guests/manifest.mjs";

describe("guest manifest", () => {
  it("every committed ELF is current with its sources", () => {
    expect(checkManifest()).toEqual([]);
  });
});
