// The browser page: `npm run web` (dev server), `npm run web:build` (static files in web/dist).
//
// The page's root is web/; the library (src/), the built cores (build/) and the system
// descriptions (examples/) sit beside it in the repository, so the dev server may read the
// whole repository. The guest images named in every description the page offers (SYSTEMS in
// web/systems.ts) are served (dev) and emitted (build) under images/ by the plugin below;
// nothing is copied into the source tree.

import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import { imageKey } from "./protocol.ts";
import { SYSTEMS } from "./systems.ts";

const web = dirname(fileURLToPath(import.meta.url));
const root = resolve(web, "..");

/** The files the offered systems boot from: repository-relative key → absolute path. The
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
  return files;
}

/** Serve (dev) or emit (build) the guest images as images/<repository path>. */
function guestImages(): Plugin {
  return {
    name: "wasmvisor-guest-images",
    configureServer(server) {
      server.middlewares.use("/images/", (req, res, next) => {
        const key = decodeURIComponent((req.url ?? "").split("?")[0].replace(/^\//, ""));
        const file = guestFiles().get(key);
        if (!file) return next();
        if (!existsSync(file)) {
          res.statusCode = 404;
          res.setHeader("Content-Type", "text/plain");
          res.end(`${key} is not built`);
          return;
        }
        res.setHeader("Content-Type", "application/octet-stream");
        res.setHeader("Content-Length", String(statSync(file).size));
        res.setHeader("Cache-Control", "no-cache");
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const [key, file] of guestFiles()) {
        if (existsSync(file)) {
          this.emitFile({ type: "asset", fileName: `images/${key}`, source: readFileSync(file) });
        } else {
          this.warn(`${key} is not built (run \`npm run guests\`): the page will say so instead of booting`);
        }
      }
    },
  };
}

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
  },
  preview: { host: "127.0.0.1" },
  // The worker imports the cores with dynamic import(): ES module workers split into chunks.
  worker: { format: "es" },
  build: {
    outDir: join(web, "dist"),
    emptyOutDir: true,
    target: "es2022",
    // The guest images are large on purpose; the page's own code is small.
    chunkSizeWarningLimit: 1024,
    assetsInlineLimit: 0,
  },
});
