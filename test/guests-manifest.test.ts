// The guest ELFs built into guests/bin/ must match their sources (guests/manifest.json records the hashes;
// `npm run guests` rebuilds both).
import { describe, expect, it } from "vitest";
import { checkManifest } from "../guests/manifest.mjs";

describe("guest manifest", () => {
  it("every guest ELF is built and current with its sources", () => {
    expect(checkManifest()).toEqual([]);
  });
});
