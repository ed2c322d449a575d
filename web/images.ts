// The guest images the page boots from, served compressed and cached.
//
// The Vite plugin (web/vite.config.ts) serves (dev) or emits (build) under images/:
//   manifest.json                    what is served: ImageManifest, fetched afresh each start;
//   <key>.<sha-256 prefix>.gz        each file gzipped, named by its content, so a URL never
//                                    changes meaning and can be cached for good.
// <key> is the file's path in the repository (imageKey in web/protocol.ts). The worker keeps the
// compressed files in the Cache API (CACHE): a restart or a reload fetches the manifest only.
// Compression pays most on the 8 MiB ext2 disk (mostly zeros: 37 KB gzipped) and the kernel
// (about half); gzip because the browser inflates it natively (DecompressionStream), with no
// library and no server configuration (the files are plain .gz, not Content-Encoding, so any
// static host serves them as they are).

export const MANIFEST = "manifest.json";
const CACHE = "wasmvisor-images-v1";

export interface ImageManifest {
  version: 1;
  /** key → the compressed file's URL (relative to images/), its size and the original's. */
  files: Record<string, { url: string; bytes: number; gzipBytes: number; sha256: string }>;
}

/** The compressed file's name for an image of the given SHA-256 (hex). */
export function compressedName(key: string, sha256: string): string {
  return `${key}.${sha256.slice(0, 16)}.gz`;
}

/** Fetch the images `keys` (paths from the repository root) from `imagesUrl`; all missing ones
 *  are reported together. */
export async function fetchImages(imagesUrl: string, keys: string[]): Promise<{ files: Map<string, Uint8Array>; missing: string[] }> {
  const files = new Map<string, Uint8Array>();
  const response = await fetch(new URL(MANIFEST, imagesUrl), { cache: "no-cache" }).catch(() => null);
  const manifest = response?.ok ? ((await response.json()) as ImageManifest) : null;
  if (!manifest || manifest.version !== 1) return { files, missing: keys };
  const cache = typeof caches === "undefined" ? null : await caches.open(CACHE).catch(() => null);
  const missing: string[] = [];
  await Promise.all(keys.map(async (key) => {
    const entry = manifest.files[key];
    if (!entry) {
      missing.push(key);
      return;
    }
    const url = new URL(entry.url, imagesUrl).href;
    let cached = await cache?.match(url);
    if (!cached) {
      const fetched = await fetch(url).catch(() => null);
      if (!fetched?.ok) {
        missing.push(key);
        return;
      }
      await cache?.put(url, fetched.clone()).catch(() => undefined); // (a full quota: just not cached)
      cached = fetched;
    }
    const bytes = await gunzip(new Uint8Array(await cached.arrayBuffer()));
    if (bytes.length !== entry.bytes) {
      await cache?.delete(url);
      throw new Error(`images/${entry.url}: ${bytes.length} bytes once inflated, the manifest says ${entry.bytes} (reload to fetch it again)`);
    }
    files.set(key, bytes);
  }));
  // Forget what this page no longer serves (older builds' images), so the cache stays bounded.
  if (cache) {
    const current = new Set(Object.values(manifest.files).map((f) => new URL(f.url, imagesUrl).href));
    for (const request of await cache.keys()) {
      if (request.url.startsWith(imagesUrl) && !current.has(request.url)) await cache.delete(request);
    }
  }
  return { files, missing };
}

/** Inflate a gzip file; bytes that are not one (a server that already undid the .gz with
 *  Content-Encoding) are returned as they are. */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
