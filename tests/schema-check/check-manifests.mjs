#!/usr/bin/env node
// Offline check of rendered Kubernetes manifests against the schemas of kubernetes-models (core
// API groups), @kubernetes-models/argo-cd, /flux-cd, /prometheus-operator and /cert-manager.
//
//   node check-manifests.mjs [--fail-on-unchecked] [--allow-empty] FILE|DIR|- ...
//
// A file may hold several YAML documents; a directory is searched recursively for *.yaml, *.yml
// and *.json; "-" reads standard input. One line per object:
//   ok|error|unchecked <file>#<doc> <apiVersion> <kind> <name>[: <details>]
// and `skipped` for kustomize's own kustomization.yaml / Component files, which are not objects.
// Unknown fields are errors: the packaged validators accept them, so every object is validated
// through a Proxy that records which keys the validator reads; a key it never reads, in an object
// whose other keys it did read, is a field the schema does not have. Objects the validator never
// touches (free-form fields) and maps it enumerates are not flagged.
// External Secrets and Sealed Secrets objects (and any other kind without a packaged schema) are
// reported as unchecked: no CRD schemas are shipped here.
// Exit status: 0 fine, 1 an error (or an unchecked object with --fail-on-unchecked, or no object
// at all without --allow-empty), 2 usage or read error.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";

const PACKAGES = [
  "kubernetes-models",
  "@kubernetes-models/argo-cd",
  "@kubernetes-models/flux-cd",
  "@kubernetes-models/prometheus-operator",
  "@kubernetes-models/cert-manager",
];
const KUSTOMIZE_FILES = new Set(["kustomization.yaml", "kustomization.yml", "Kustomization"]);

function usage(message) {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write("usage: node check-manifests.mjs [--fail-on-unchecked] [--allow-empty] FILE|DIR|- ...\n");
  process.exit(2);
}

const opts = { failOnUnchecked: false, allowEmpty: false };
const inputs = [];
for (const a of process.argv.slice(2)) {
  if (a === "--fail-on-unchecked") opts.failOnUnchecked = true;
  else if (a === "--allow-empty") opts.allowEmpty = true;
  else if (a === "-h" || a === "--help") usage();
  else if (a.startsWith("--")) usage(`unknown flag ${a}`);
  else inputs.push(a);
}
if (inputs.length === 0) usage("nothing to check");

function readFailure(what, e) {
  process.stderr.write(`error: ${what}: ${e.code === "ENOENT" ? "no such file or directory" : e.message}\n`);
  process.exit(2);
}

// Standard input through a stream, never readFileSync(0): on a pipe that another process made
// non-blocking, readFileSync fails with EAGAIN as soon as the pipe is momentarily empty (Node 18
// and 20 alike); the stream waits for data and works for files, pipes and terminals.
async function readStdin() {
  const chunks = [];
  try {
    for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  } catch (e) {
    readFailure("<stdin>", e);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function collect(input, out) {
  if (input === "-") {
    out.push({ name: "<stdin>", text: await readStdin() });
    return;
  }
  let st;
  try {
    st = statSync(input);
  } catch (e) {
    readFailure(input, e);
  }
  if (st.isDirectory()) {
    for (const entry of readdirSync(input, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(input, entry.name);
      if (entry.isDirectory()) await collect(p, out);
      else if (/\.(ya?ml|json)$/.test(entry.name) || entry.name === "Kustomization") await collect(p, out);
    }
    return;
  }
  try {
    out.push({ name: input, text: readFileSync(input, "utf8") });
  } catch (e) {
    readFailure(input, e);
  }
}

const models = new Map();
async function findModel(apiVersion, kind) {
  const key = `${apiVersion} ${kind}`;
  if (models.has(key)) return models.get(key);
  let found = null;
  const m = /^(?:([a-z0-9][-a-z0-9.]*[a-z0-9])\/)?(v[0-9]+(?:(?:alpha|beta)[0-9]+)?)$/.exec(apiVersion);
  if (m && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    const [, group, version] = m;
    for (const pkg of PACKAGES) {
      let mod;
      try {
        mod = await import(group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`);
      } catch (e) {
        if (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") continue;
        throw e;
      }
      const cls = mod[kind];
      if (cls && cls.apiVersion === apiVersion && cls.kind === kind && typeof cls.prototype.validate === "function") {
        found = cls;
        break;
      }
    }
  }
  models.set(key, found);
  return found;
}

// Wraps `root` so every key read, `in` test and key enumeration is recorded per object.
function watch(root) {
  const reads = new Map(); // original object -> { keys: Set, listed: boolean }
  const proxies = new WeakMap();
  const wrap = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (proxies.has(v)) return proxies.get(v);
    const rec = { keys: new Set(), listed: false };
    reads.set(v, rec);
    const p = new Proxy(v, {
      get(t, k, r) {
        const val = Reflect.get(t, k, r);
        if (typeof k !== "string") return val;
        rec.keys.add(k);
        return Object.prototype.hasOwnProperty.call(t, k) ? wrap(val) : val;
      },
      has(t, k) {
        if (typeof k === "string") rec.keys.add(k);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        rec.listed = true;
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(v, p);
    return p;
  };
  return { proxy: wrap(root), reads };
}

function unreadKeys(root, reads) {
  const out = [];
  const walk = (v, path) => {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, i]));
      return;
    }
    const rec = reads.get(v);
    if (!rec) return;
    if (!rec.listed && rec.keys.size > 0) {
      for (const k of Object.keys(v)) if (!rec.keys.has(k)) out.push([...path, k]);
    }
    for (const k of Object.keys(v)) walk(v[k], [...path, k]);
  };
  walk(root, []);
  return out;
}

const escapeSegment = (s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1");
const pointer = (segs) => segs.map((s) => `/${escapeSegment(s)}`).join("") || "/";

function lineOf(doc, lc, segs) {
  for (let n = segs.length; n >= 0; n--) {
    let node;
    try {
      node = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
    } catch {
      node = undefined;
    }
    if (node && node.range) return lc.linePos(node.range[0]).line;
  }
  return 0;
}

function describeErrors(errors, doc, lc, base) {
  const byPath = new Map();
  for (const e of errors) {
    let segs = (e.instancePath || "").split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    segs = segs.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    let msg = e.message || e.keyword;
    if (e.keyword === "required" && e.params && e.params.missingProperty !== undefined) {
      segs.push(e.params.missingProperty);
      msg = "is required";
    } else if (e.keyword === "enum" && e.params && e.params.allowedValues) {
      msg = `must be one of ${JSON.stringify(e.params.allowedValues)}`;
    }
    const full = [...base, ...segs];
    const key = pointer(full);
    if (!byPath.has(key)) byPath.set(key, { full, msgs: [], alternatives: [] });
    const entry = byPath.get(key);
    const bucket = e.keyword === "oneOf" || e.keyword === "anyOf" ? entry.alternatives : entry.msgs;
    if (!bucket.includes(msg)) bucket.push(msg);
  }
  return [...byPath].map(([key, entry]) => {
    const line = lineOf(doc, lc, entry.full);
    return `${key}${line ? ` (line ${line})` : ""}: ${(entry.msgs.length ? entry.msgs : entry.alternatives).join(" or ")}`;
  });
}

const counts = { ok: 0, error: 0, unchecked: 0, skipped: 0 };
function report(status, where, what, details) {
  counts[status]++;
  process.stdout.write(`${status} ${where} ${what}${details ? `: ${details}` : ""}\n`);
}

async function checkObject(obj, where, doc, lc, base, file) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    report("error", where, "- - -", "the document is not a map");
    return;
  }
  const meta = obj.metadata && typeof obj.metadata === "object" ? obj.metadata : {};
  const name = meta.name ?? meta.generateName ?? "-";
  const what = `${obj.apiVersion ?? "-"} ${obj.kind ?? "-"} ${name}`;
  const kustomize =
    (typeof obj.apiVersion === "string" && obj.apiVersion.startsWith("kustomize.config.k8s.io/") &&
      (obj.kind === "Kustomization" || obj.kind === "Component")) ||
    (base.length === 0 && KUSTOMIZE_FILES.has(basename(file)));
  if (kustomize) {
    report("skipped", where, what, "kustomize file, not a Kubernetes object");
    return;
  }
  if (typeof obj.apiVersion !== "string" || !obj.apiVersion || typeof obj.kind !== "string" || !obj.kind) {
    report("error", where, what, "apiVersion and kind must be non-empty strings");
    return;
  }
  if (obj.apiVersion === "v1" && obj.kind === "List" && Array.isArray(obj.items)) {
    for (let i = 0; i < obj.items.length; i++) {
      await checkObject(obj.items[i], `${where}.items[${i}]`, doc, lc, [...base, "items", i], file);
    }
    return;
  }
  const cls = await findModel(obj.apiVersion, obj.kind);
  if (!cls) {
    const why = /(^|\.)external-secrets\.io\/|^bitnami\.com\//.test(obj.apiVersion)
      ? "no CRD schema is shipped for this kind"
      : "no schema for this apiVersion/kind";
    report("unchecked", where, what, why);
    return;
  }
  const { proxy, reads } = watch(obj);
  let errors = [];
  try {
    cls.prototype.validate.call(proxy);
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    errors = e.errors;
  }
  const problems = describeErrors(errors, doc, lc, base);
  for (const segs of unreadKeys(obj, reads)) {
    const full = [...base, ...segs];
    const line = lineOf(doc, lc, full);
    problems.push(`${pointer(full)}${line ? ` (line ${line})` : ""}: unknown field`);
  }
  if (problems.length) report("error", where, what, problems.join("; "));
  else report("ok", where, what);
}

const sources = [];
for (const input of inputs) await collect(input, sources);

for (const src of sources) {
  const lc = new LineCounter();
  // Kubernetes reads YAML 1.1 (go-yaml): a bare yes is a boolean there, so it is here too.
  const docs = parseAllDocuments(src.text, { version: "1.1", lineCounter: lc });
  const list = Array.isArray(docs) ? docs : [docs];
  for (let i = 0; i < list.length; i++) {
    const doc = list[i];
    const where = `${src.name}#${i + 1}`;
    if (doc.errors && doc.errors.length) {
      report("error", where, "- - -", `YAML: ${doc.errors[0].message.split("\n")[0]}`);
      continue;
    }
    let obj;
    try {
      obj = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      report("error", where, "- - -", `YAML: ${e.message.split("\n")[0]}`);
      continue;
    }
    if (obj === null || obj === undefined) continue; // an empty document, e.g. after a trailing ---
    await checkObject(obj, where, doc, lc, [], src.name);
  }
}

const total = counts.ok + counts.error + counts.unchecked;
process.stderr.write(
  `${total} objects: ${counts.ok} ok, ${counts.error} error, ${counts.unchecked} unchecked` +
    `${counts.skipped ? `; ${counts.skipped} kustomize files skipped` : ""}\n`,
);
if (total === 0 && !opts.allowEmpty) {
  process.stderr.write("error: no Kubernetes object in the input (--allow-empty accepts that)\n");
  process.exit(1);
}
process.exit(counts.error > 0 || (opts.failOnUnchecked && counts.unchecked > 0) ? 1 : 0);
