// Types for guests/manifest.mjs (used by the tests).
export interface GuestSource {
  name: string;
  source: string;
}
export function guestSources(): GuestSource[];
export function elfPath(name: string): string;
export function checkManifest(): string[];
