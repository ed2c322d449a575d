#!/usr/bin/env node
// docs/system-description.md, generated from schema/system.schema.json: one table per object of
// the description (its fields, their types, limits, defaults and meaning from the schema's
// "description"s), so the reference cannot drift from the schema editors and the validator use.
//
//   npm run docs:schema            write docs/system-description.md
//   npm run docs:schema -- --check exit 1 if the committed file is not what the schema gives
//
// test/docs.test.ts fails when the committed file is stale. Edit the schema, never the output.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const SCHEMA_FILE = `${ROOT}schema/system.schema.json`;
export const DOC_FILE = `${ROOT}docs/system-description.md`;

/** The definition `node` points to ($ref into $defs), or the node itself. */
function deref(schema, node) {
  if (!node.$ref) return node;
  const name = node.$ref.replace("#/$defs/", "");
  const target = schema.$defs[name];
  if (!target) throw new Error(`schema: unknown $ref ${node.$ref}`);
  return target;
}

/** A short type for the table: string, integer 0–62, "machine" | "supervisor", size, … */
function typeOf(schema, node) {
  if (node.$ref) {
    const name = node.$ref.replace("#/$defs/", "");
    if (name === "partition") return "object";
    return `[${name}](#${name})`;
  }
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives && !node.type) return alternatives.map((a) => typeOf(schema, a)).join(" or ");
  if (node.type === "array") {
    const items = node.items ? typeOf(schema, node.items) : "any";
    return `array of ${items}`;
  }
  return node.type ?? "any";
}

/** Limits the schema states for a node: ranges, lengths, counts, patterns. */
function limitsOf(node) {
  const parts = [];
  if (node.minimum !== undefined && node.maximum !== undefined) parts.push(`${node.minimum}–${node.maximum}`);
  else if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
  else if (node.maximum !== undefined) parts.push(`≤ ${node.maximum}`);
  if (node.minItems !== undefined || node.maxItems !== undefined) {
    parts.push(node.maxItems !== undefined ? `${node.minItems ?? 0}–${node.maxItems} items` : `at least ${node.minItems} items`);
  }
  if (node.uniqueItems) parts.push("no repeats");
  if (node.minLength !== undefined && node.minLength > 0) parts.push("not empty");
  if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
  if (node.pattern) parts.push(`matches \`${node.pattern.replace(/\|/g, "\\|")}\``);
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives && !node.type) {
    for (const a of alternatives) {
      const l = limitsOf(a);
      if (l) parts.push(`${a.type ?? "value"}: ${l}`);
    }
  }
  return parts.join("; ");
}

const cell = (text) => (text ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

/** One table for an object node: its fields in the schema's order. */
function table(schema, node) {
  const required = new Set(node.required ?? []);
  let out = "| field | type | required | limits | meaning |\n|---|---|---|---|---|\n";
  for (const [name, raw] of Object.entries(node.properties ?? {})) {
    if (name === "$schema") continue;
    const target = raw.$ref ? deref(schema, raw) : raw;
    // A $ref to a named definition (size, duration, name) keeps its own limits in its section.
    const limits = raw.$ref && raw.$ref !== "#/$defs/partition" ? limitsOf(raw) : limitsOf(target);
    const description = raw.description ?? (raw.$ref ? "" : target.description) ?? "";
    out += `| \`${name}\` | ${typeOf(schema, raw)} | ${required.has(name) ? "yes" : ""} | ${cell(limits)} | ${cell(description)} |\n`;
  }
  return out;
}

/** The objects of the description, in reading order: [heading, anchor path, node]. */
function sections(schema) {
  const top = schema;
  const partition = schema.$defs.partition;
  const disk = partition.properties.disk.anyOf.find((a) => a.type === "object");
  const channel = top.properties.channels.items;
  return [
    ["The description", "", top],
    ["A partition: `partitions[]`", "partitions[]", partition],
    ["A disk: `partitions[].disk` as an object", "partitions[].disk", disk],
    ["Semihosting: `partitions[].semihosting`", "partitions[].semihosting", partition.properties.semihosting],
    ["A mapping: `partitions[].mappings[]`", "partitions[].mappings[]", partition.properties.mappings.items],
    ["The schedule: `schedule`", "schedule", top.properties.schedule],
    ["A window: `schedule.windows[]`", "schedule.windows[]", top.properties.schedule.properties.windows.items],
    ["A memory region: `memoryRegions[]`", "memoryRegions[]", top.properties.memoryRegions.items],
    ["A channel: `channels[]`", "channels[]", channel],
    ["A channel's end: `channels[].ends[]`", "channels[].ends[]", channel.properties.ends.items],
  ];
}

export function renderSchemaDocs(schema) {
  let out = `<!-- Generated from schema/system.schema.json by \`npm run docs:schema\` (scripts/schema-docs.mjs): edit the schema, not this file. -->

# The system description: reference

${schema.description}

A description is JSON. Editors check it against \`schema/system.schema.json\` (the package exports it
as \`wasmvisor/schema.json\`) when it names the schema in a \`"$schema"\` line; \`wasmvisor run\`,
\`new Hypervisor()\` and the browser page check it completely with one validator
(\`validateSystem\`), which also checks what a schema cannot say and reports every problem with
its path ([user guide](user-guide.md#the-system-description)). Paths of images and disks are
relative to the description's file. TypeScript type: \`SystemDescription\` from \`"wasmvisor"\`.
`;
  for (const [heading, path, node] of sections(schema)) {
    out += `\n## ${heading}\n\n`;
    const constraints = [];
    if (node.oneOf?.every((o) => o.required)) constraints.push(`exactly one of ${node.oneOf.map((o) => o.required.map((r) => `\`${r}\``).join(" + ")).join(", ")}`);
    for (const [field, needs] of Object.entries(node.dependentRequired ?? {})) constraints.push(`\`${field}\` needs ${needs.map((n) => `\`${n}\``).join(", ")}`);
    if (node.additionalProperties === false) constraints.push("no other fields");
    if (path) out += `Fields of \`${path}\`${constraints.length ? ` (${constraints.join("; ")})` : ""}.\n\n`;
    else if (constraints.length) out += `${constraints.join("; ")[0].toUpperCase()}${constraints.join("; ").slice(1)}.\n\n`;
    out += table(schema, node);
  }
  out += "\n## Values\n\n";
  for (const name of ["size", "duration", "name"]) {
    const def = schema.$defs[name];
    out += `<a id="${name}"></a>**${name}**: ${def.description ?? ""} ${cell(limitsOf(def))}.\n\n`;
  }
  return out.trimEnd() + "\n";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderSchemaDocs(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")));
  if (process.argv.includes("--check")) {
    let committed = "";
    try { committed = readFileSync(DOC_FILE, "utf8"); } catch { /* missing: stale */ }
    if (committed !== text) {
      process.stderr.write("docs/system-description.md is stale: run `npm run docs:schema`\n");
      process.exit(1);
    }
  } else {
    writeFileSync(DOC_FILE, text);
    process.stderr.write("wrote docs/system-description.md\n");
  }
}
