// Fetching the guest images the page serves (web/vite.config.ts serves and emits them under
// images/<path in the repository>).

/** Fetch the images `keys` (paths from the repository root) from `imagesUrl`; all missing ones
 *  are reported together. */
export async function fetchImages(imagesUrl: string, keys: string[]): Promise<{ files: Map<string, Uint8Array>; missing: string[] }> {
  const files = new Map<string, Uint8Array>();
  const missing: string[] = [];
  await Promise.all(keys.map(async (key) => {
    const response = await fetch(new URL(key, imagesUrl)).catch(() => null);
    if (!response?.ok) {
      missing.push(key);
      return;
    }
    files.set(key, new Uint8Array(await response.arrayBuffer()));
  }));
  return { files, missing };
}
