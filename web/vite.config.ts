// The browser page: `npm run web` (dev server), `npm run web:build` (static files in web/dist).
//
// The page's root is web/; the library (src/), the built cores (build/) and the system
// descriptions (examples/) sit beside it in the repository, so the dev server may read the
// whole repository. The guest images — those named in every description the page offers
// (SYSTEMS in web/systems.ts), and every ELF in guests/bin/ for descriptions of the user's —
// are served (dev) and emitted (build) under images/ by the plugin below, gzipped and named by
// their content, with a manifest (web/images.ts); nothing is copied into the source tree.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import { imageKey } from "./protocol.ts";
import { SYSTEMS } from "./systems.ts";
import { MANIFEST, compressedName, type ImageManifest } from "./images.ts";

const web = dirname(fileURLToPath(import.meta.url));
const root = resolve(web, "..");

/** The files the page serves: repository-relative key → absolute path. The offered
 *  descriptions are read afresh (not the copies bundled into SYSTEMS), so the dev server follows
 *  edits to them; systems the page cannot run are left out. */
function guestFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const system of SYSTEMS) {
    if (system.description === undefined) continue;
    const description = JSON.parse(readFileSync(join(root, system.file), "utf8")) as {
      partitions: Array<{ image: string; initrd?: string; disk?: string | { file: string } }>;
    };
    for (const p of description.partitions) {
      const disk = typeof p.disk === "string" ? p.disk : p.disk?.file;
      for (const f of [p.image, p.initrd, disk]) {
        if (f !== undefined) files.set(imageKey(f, system.file), join(root, imageKey(f, system.file)));
      }
    }
  }
  const bin = join(root, "guests", "bin");
  if (existsSync(bin)) {
    for (const name of readdirSync(bin).sort()) if (name.endsWith(".elf")) files.set(`guests/bin/${name}`, join(bin, name));
  }
  return files;
}

interface Compressed {
  key: string;
  name: string;
  gzip: Buffer;
  bytes: number;
  sha256: string;
}

/** Compressed files by path, kept while the file's size and time stay the same (the dev server
 *  compresses each file once; the 8 MiB disk takes ~100 ms). */
const compressedCache = new Map<string, { stamp: string; value: Compressed }>();

function compressed(key: string, file: string): Compressed | null {
  if (!existsSync(file)) return null;
  const st = statSync(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = compressedCache.get(file);
  if (hit?.stamp === stamp) return hit.value;
  const data = readFileSync(file);
  const sha256 = createHash("sha256").update(data).digest("hex");
  const value = { key, name: compressedName(key, sha256), gzip: gzipSync(data, { level: 9 }), bytes: data.length, sha256 };
  compressedCache.set(file, { stamp, value });
  return value;
}

/** Every served file compressed, and the manifest; `missing`: the files not built. */
function imageSet(): { files: Compressed[]; manifest: ImageManifest; missing: string[] } {
  const files: Compressed[] = [];
  const missing: string[] = [];
  for (const [key, file] of guestFiles()) {
    const c = compressed(key, file);
    if (c) files.push(c);
    else missing.push(key);
  }
  const manifest: ImageManifest = {
    version: 1,
    files: Object.fromEntries(files.map((f) => [f.key, { url: f.name, bytes: f.bytes, gzipBytes: f.gzip.length, sha256: f.sha256 }])),
  };
  return { files, manifest, missing };
}

/** Serve (dev) or emit (build) the guest images: images/manifest.json and the .gz files. */
function guestImages(): Plugin {
  return {
    name: "wasmvisor-guest-images",
    configureServer(server) {
      server.middlewares.use("/images/", (req, res, next) => {
        const name = decodeURIComponent((req.url ?? "").split("?")[0].replace(/^\//, ""));
        const { files, manifest } = imageSet();
        if (name === MANIFEST) {
          res.setHeader("Content-Type", "application/json");
          res.setHeader("Cache-Control", "no-cache"); // (it changes when an image is rebuilt)
          res.end(JSON.stringify(manifest));
          return;
        }
        const file = files.find((f) => f.name === name);
        if (!file) return next();
        // Named by content: a browser may keep it for good.
        res.setHeader("Content-Type", "application/gzip");
        res.setHeader("Content-Length", String(file.gzip.length));
        res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
        res.end(file.gzip);
      });
    },
    generateBundle() {
      const { files, manifest, missing } = imageSet();
      for (const f of files) this.emitFile({ type: "asset", fileName: `images/${f.name}`, source: f.gzip });
      this.emitFile({ type: "asset", fileName: `images/${MANIFEST}`, source: JSON.stringify(manifest) });
      for (const key of missing) this.warn(`${key} is not built (run \`npm run guests\`): the page will say so instead of booting`);
    },
  };
}

/**
 * Cross-origin isolation: with these two headers a browser offers SharedArrayBuffer (and shared
 * WebAssembly memories), which harts on parallel threads need (docs/smp.md). The page loads
 * nothing from other origins, so require-corp costs it nothing. A static host of web/dist must
 * send the same two headers for the page to be isolated (docs/web.md).
 */
const CROSS_ORIGIN_ISOLATED = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: web,
  // Relative URLs: web/dist works from any directory of any static host.
  base: "./",
  publicDir: false,
  plugins: [guestImages()],
  server: {
    host: "127.0.0.1",
    // src/, build/ and examples/ are outside web/.
    fs: { allow: [root] },
    headers: CROSS_ORIGIN_ISOLATED,
  },
  preview: { host: "127.0.0.1", headers: CROSS_ORIGIN_ISOLATED },
  // The worker imports the cores with dynamic import(): ES module workers split into chunks.
  worker: { format: "es" },
  build: {
    outDir: join(web, "dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
    assetsInlineLimit: 0,
  },
});
