#!/usr/bin/env node
// Validates kubectl-neon cluster specs (YAML) against schemas/neon-cluster.schema.json with ajv,
// independently of the C++ parser. Prints one line per file:
//   valid <file>
//   invalid <file>: <problem>; <problem>...
// Exit status: 0 all valid, 1 any invalid, 2 usage or unreadable schema.
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const defaultSchema = join(here, "..", "..", "schemas", "neon-cluster.schema.json");

function usage(message) {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write("usage: node check-spec.mjs [--schema FILE] SPEC.yaml...\n");
  process.exit(2);
}

const args = process.argv.slice(2);
let schemaFile = defaultSchema;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--schema") {
    if (i + 1 >= args.length) usage("--schema needs a file");
    schemaFile = args[++i];
  } else if (args[i] === "-h" || args[i] === "--help") {
    usage();
  } else {
    files.push(args[i]);
  }
}
if (files.length === 0) usage("no spec files given");

let validate;
try {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
} catch (e) {
  process.stderr.write(`error: ${schemaFile}: ${e.message}\n`);
  process.exit(2);
}

// Returns a list of problems; empty when the file is a valid spec.
function check(file) {
  let text;
  try {
    if (statSync(file).isDirectory()) return ["is a directory"];
    text = readFileSync(file);
  } catch (e) {
    return [e.code === "ENOENT" ? "no such file" : e.message];
  }
  if (text.includes(0)) return ["binary file"];
  const docs = parseAllDocuments(text.toString("utf8"), { uniqueKeys: true, maxAliasCount: 100 });
  if (!Array.isArray(docs)) return ["not YAML"];
  if (docs.length !== 1) return [docs.length === 0 ? "empty file" : "more than one YAML document"];
  const doc = docs[0];
  if (doc.errors.length > 0) return doc.errors.map((e) => `YAML: ${e.message.split("\n")[0]}`);
  const value = doc.toJS();
  if (value === null || value === undefined) return ["empty file"];
  if (validate(value)) return [];
  return validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}${
    e.params && e.params.additionalProperty ? ` "${e.params.additionalProperty}"` : ""}`);
}

let status = 0;
for (const file of files) {
  const problems = check(file);
  if (problems.length === 0) {
    process.stdout.write(`valid ${file}\n`);
  } else {
    status = 1;
    process.stdout.write(`invalid ${file}: ${problems.join("; ")}\n`);
  }
}
process.exit(status);
