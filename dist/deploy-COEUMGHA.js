import { createRequire as __phpDeployCreateRequire } from 'node:module';
import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';
import { dirname as __phpDeployDirname } from 'node:path';
var require = __phpDeployCreateRequire(import.meta.url);
var __filename = __phpDeployFileURLToPath(import.meta.url);
var __dirname = __phpDeployDirname(__filename);
import {
  DEFAULT_MIGRATION_GLOBS,
  DeployError,
  Phases,
  RemoteOutput,
  abortCommand,
  activateCommand,
  asDeployError,
  beginCommand,
  cancelCommand,
  connectAll,
  connectedMessage,
  createPackStream,
  createReleaseArchive,
  diffManifests,
  exitFacts,
  formatManifest,
  globToRegExp,
  holdCommand,
  inspectCommand,
  loadPrivateKey,
  newDeployId,
  newNonce,
  noteCommand,
  parseKnownHosts,
  parseManifest,
  preflightCommand,
  removeTempDir,
  rollbackCommand,
  runRemote,
  scanTree,
  sortMigrationPaths,
  uploadCommand,
  viaCacheOn
} from "./chunk-HYMXMBRH.js";
import "./chunk-CPYSVADA.js";

// src/engine/deploy.ts
import { createHash as createHash2, randomBytes, randomUUID } from "node:crypto";
import { PassThrough as PassThrough3 } from "node:stream";
import { gzipSync } from "node:zlib";

// src/pack/fanout.ts
import { PassThrough } from "node:stream";
var COPY_BUFFER = 1024 * 1024;
function fanOut(source, count) {
  if (count === 1) return [source];
  const outs = Array.from({ length: count }, () => new PassThrough({ highWaterMark: COPY_BUFFER }));
  const live = new Set(outs);
  for (const o of outs) {
    o.on("close", () => {
      live.delete(o);
      if (live.size === 0 && !source.destroyed) source.destroy();
    });
    o.on("error", () => {
    });
  }
  const drained = (o) => new Promise((resolve2) => {
    const go = () => {
      o.off("drain", go);
      o.off("close", go);
      resolve2();
    };
    o.on("drain", go);
    o.on("close", go);
  });
  void (async () => {
    try {
      for await (const chunk of source) {
        const waits = [];
        for (const o of live) if (!o.write(chunk)) waits.push(drained(o));
        if (waits.length > 0) await Promise.all(waits);
        if (live.size === 0) return;
      }
      for (const o of live) o.end();
    } catch (err) {
      for (const o of live) o.destroy(err);
    }
  })();
  return outs;
}

// src/pack/seed.ts
import { createHash } from "node:crypto";
import { lstat, readFile as readFile2 } from "node:fs/promises";
import { join as join2 } from "node:path";

// src/preflight/artifact.ts
import { open, readFile } from "node:fs/promises";
import { isAbsolute, join, posix, relative, resolve, sep } from "node:path";
function underAny(path, prefixes) {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}
function cleanShared(shared) {
  return shared.map((p) => p.replace(/^\/+/, "").replace(/\/+$/, "")).filter((p) => p !== "");
}
function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
function plural(n, word) {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}
async function readHead(sourceDir, rel, max = 64 * 1024) {
  let fh;
  try {
    fh = await open(join(sourceDir, rel), "r");
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } catch {
    return void 0;
  } finally {
    await fh?.close();
  }
}
async function readJson(sourceDir, rel) {
  let text;
  try {
    text = await readFile(join(sourceDir, rel), "utf8");
  } catch (err) {
    const code = err.code;
    return code === "ENOENT" || code === "ENOTDIR" ? { missing: true } : { error: code ?? String(err) };
  }
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, "")) };
  } catch (err) {
    return { error: `not valid JSON: ${err.message}` };
  }
}
var isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
function resolveInRelease(rel, byPath, shared) {
  let path = rel;
  for (let hops = 0; hops < 40; hops++) {
    if (path === "." || path === "") return { kind: "found" };
    if (path === ".." || path.startsWith("../") || path.startsWith("/")) return { kind: "outside" };
    const parts = path.split("/");
    let followed = false;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (underAny(prefix, shared)) return { kind: "shared" };
      const e = byPath.get(prefix);
      if (!e) return { kind: "missing", at: prefix };
      if (e.type === "l") {
        const target = e.linkTarget ?? "";
        if (posix.isAbsolute(target)) return { kind: "outside" };
        const rest = parts.slice(i).join("/");
        path = posix.normalize(posix.join(posix.dirname(prefix), target, rest)).replace(/(.)\/+$/, "$1");
        followed = true;
        break;
      }
      if (e.type === "f" && i < parts.length) return { kind: "missing", at: parts.slice(0, i + 1).join("/") };
    }
    if (!followed) return { kind: "found" };
  }
  return { kind: "loop" };
}
function checkSymlinks(sourceDir, entries2, shared, isLaravel) {
  const checks = [];
  const byPath = new Map(entries2.map((e) => [e.path, e]));
  const absSource = resolve(sourceDir);
  for (const e of entries2) {
    if (e.type !== "l") continue;
    const target = e.linkTarget ?? "";
    const shown = `${e.path} -> ${target}`;
    const linkDir = posix.dirname(e.path);
    const artisanHint = isLaravel && /(^|\/)public\/storage$/.test(e.path) ? " (php artisan storage:link)" : "";
    if (posix.isAbsolute(target)) {
      const inTree = relative(absSource, target);
      const within = inTree !== "" && !inTree.startsWith("..") && !isAbsolute(inTree);
      const where = within ? `it would point into the build directory (${absSource}) on the server` : /^\/(home\/runner|github\/workspace|builds|tmp|Users)\//.test(target) ? "it would point into the CI runner on the server" : "it only works on a server that has exactly that path";
      const fix = within ? `make it relative (ln -sfn ${posix.relative(linkDir, inTree.split(sep).join("/")) || "."} ${e.path}, or ln -sr)` : "make it relative (ln -sr)";
      checks.push({
        id: "symlink-absolute",
        severity: "error",
        path: e.path,
        message: `${shown} is absolute: ${where}; ${fix} or create it on the server in before-switch${artisanHint}`
      });
      continue;
    }
    const lexical = posix.normalize(posix.join(linkDir, target)).replace(/(.)\/+$/, "$1");
    if (lexical === ".." || lexical.startsWith("../")) {
      checks.push({
        id: "symlink-escapes",
        severity: "error",
        path: e.path,
        message: `${shown} leaves the release directory: releases are separate directories, so it would point outside the deployed release; point it inside the release, declare the path in shared, or create it on the server in before-switch${artisanHint}`
      });
      continue;
    }
    const r = resolveInRelease(lexical, byPath, shared);
    if (r.kind === "missing") {
      checks.push({
        id: "symlink-dangling",
        severity: "warning",
        path: e.path,
        message: `${shown}: ${r.at} is not in the release (missing or excluded), so the link would dangle on the server; ship the target, add it to shared, or create it in before-switch${artisanHint}`
      });
    } else if (r.kind === "loop") {
      checks.push({ id: "symlink-dangling", severity: "warning", path: e.path, message: `${shown}: the links loop, so it resolves to nothing; fix or remove the link` });
    } else if (r.kind === "outside") {
      checks.push({
        id: "symlink-escapes",
        severity: "error",
        path: e.path,
        message: `${shown} leaves the release directory through another symlink, so it would point outside the deployed release; point it inside the release or declare the path in shared`
      });
    }
  }
  return checks;
}
function pkgRefs(v) {
  if (!Array.isArray(v)) return [];
  const out = [];
  for (const p of v) {
    if (!isObject(p) || typeof p["name"] !== "string") continue;
    const version = typeof p["version"] === "string" ? p["version"] : "?";
    const dist = isObject(p["dist"]) ? p["dist"] : {};
    const source = isObject(p["source"]) ? p["source"] : {};
    const ref = dist["reference"] ?? source["reference"];
    out.push({ name: p["name"].toLowerCase(), version, reference: typeof ref === "string" ? ref : void 0 });
  }
  return out;
}
var isDevVersion = (v) => v.startsWith("dev-") || v.endsWith("-dev");
var sameVersion = (a, b) => a.version.replace(/^v/i, "") === b.version.replace(/^v/i, "") && (!isDevVersion(a.version) || a.reference === void 0 || b.reference === void 0 || a.reference === b.reference);
var showVersion = (p) => isDevVersion(p.version) && p.reference ? `${p.version}#${p.reference.slice(0, 7)}` : p.version;
async function checkComposer(sourceDir, entries2, shared, byPath) {
  const checks = [];
  const lockNames = /* @__PURE__ */ new Set();
  const json = await readJson(sourceDir, "composer.json");
  let vendorDir = "vendor";
  if (json.missing) return { checks, vendorDir, lockNames };
  if (json.error !== void 0 || !isObject(json.value)) {
    checks.push({ id: "composer-json", severity: "error", path: "composer.json", message: `composer.json cannot be read (${json.error ?? "not a JSON object"}); fix it and run composer validate` });
    return { checks, vendorDir, lockNames };
  }
  const config = isObject(json.value["config"]) ? json.value["config"] : {};
  if (typeof config["vendor-dir"] === "string") vendorDir = posix.normalize(config["vendor-dir"].replace(/\/+$/, ""));
  const vendorOk = !posix.isAbsolute(vendorDir) && vendorDir !== ".." && !vendorDir.startsWith("../") && vendorDir !== ".";
  const lock = await readJson(sourceDir, "composer.lock");
  if (lock.missing) {
    checks.push({
      id: "composer-lock-missing",
      severity: "error",
      path: "composer.lock",
      message: "composer.json has no composer.lock next to it, so the deployed dependency versions are whatever resolved in CI that day; commit composer.lock (composer update --lock) and build with composer install --no-dev"
    });
    return { checks, vendorDir, lockNames };
  }
  if (lock.error !== void 0 || !isObject(lock.value)) {
    checks.push({ id: "composer-lock-invalid", severity: "error", path: "composer.lock", message: `composer.lock cannot be read (${lock.error ?? "not a JSON object"}); regenerate it with composer update --lock` });
    return { checks, vendorDir, lockNames };
  }
  const locked = pkgRefs(lock.value["packages"]);
  const lockedDev = pkgRefs(lock.value["packages-dev"]);
  for (const p of [...locked, ...lockedDev]) lockNames.add(p.name);
  if (!vendorOk || underAny(vendorDir, shared)) return { checks, vendorDir, lockNames };
  const vendorShipped = byPath.get(vendorDir)?.type === "d" || entries2.some((e) => e.path.startsWith(`${vendorDir}/`));
  if (!vendorShipped) {
    if (locked.length > 0) {
      checks.push({
        id: "vendor-missing",
        severity: "error",
        path: vendorDir,
        message: `${vendorDir}/ is not in the release but composer.lock lists ${plural(locked.length, "package")}; run composer install --no-dev before deploying (and do not exclude ${vendorDir}/)`
      });
    }
    return { checks, vendorDir, lockNames };
  }
  const installedPath = `${vendorDir}/composer/installed.json`;
  if (!byPath.has(`${vendorDir}/autoload.php`)) {
    checks.push({
      id: "vendor-incomplete",
      severity: "error",
      path: `${vendorDir}/autoload.php`,
      message: `${vendorDir}/autoload.php is not in the release, so the app cannot load its classes; run composer install --no-dev (or composer dump-autoload) before deploying`
    });
  }
  if (!byPath.has(installedPath)) {
    checks.push({
      id: "vendor-incomplete",
      severity: "error",
      path: installedPath,
      message: `${installedPath} is not in the release, so ${vendorDir}/ was not built by Composer or is incomplete; run composer install --no-dev before deploying`
    });
    return { checks, vendorDir, lockNames };
  }
  const installed = await readJson(sourceDir, installedPath);
  if (installed.error !== void 0 || installed.missing || !Array.isArray(installed.value) && !isObject(installed.value)) {
    checks.push({ id: "vendor-incomplete", severity: "error", path: installedPath, message: `${installedPath} cannot be read (${installed.error ?? "unexpected format"}); run composer install --no-dev` });
    return { checks, vendorDir, lockNames };
  }
  checks.push(...compareVendor(installed.value, locked, lockedDev, vendorDir));
  return { checks, vendorDir, lockNames };
}
function compareVendor(v, locked, lockedDev, vendorDir) {
  const checks = [];
  const inVendor = pkgRefs(Array.isArray(v) ? v : v["packages"]);
  const devNames = new Set(lockedDev.map((p) => p.name));
  let dev;
  if (!Array.isArray(v) && typeof v["dev"] === "boolean") dev = v["dev"];
  else dev = inVendor.some((p) => devNames.has(p.name));
  const expected = /* @__PURE__ */ new Map();
  for (const p of dev ? [...locked, ...lockedDev] : locked) expected.set(p.name, p);
  const actual = new Map(inVendor.map((p) => [p.name, p]));
  const diffs = [];
  for (const name of [.../* @__PURE__ */ new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const want = expected.get(name);
    const have = actual.get(name);
    if (want && have && sameVersion(want, have)) continue;
    if (want && have) diffs.push(`${name} ${showVersion(have)} in vendor, ${showVersion(want)} in composer.lock`);
    else if (want) diffs.push(`${name} missing from vendor, ${showVersion(want)} in composer.lock`);
    else if (have) diffs.push(`${name} ${showVersion(have)} in vendor, not in composer.lock${devNames.has(name) ? " (dev package)" : ""}`);
  }
  if (diffs.length > 0) {
    const shown = diffs.slice(0, 3).join("; ");
    const more = diffs.length > 3 ? `; and ${diffs.length - 3} more` : "";
    checks.push({
      id: "vendor-mismatch",
      severity: "error",
      path: vendorDir,
      message: `${vendorDir}/ does not match composer.lock: ${shown}${more}; run composer install --no-dev before deploying`
    });
  }
  const devInstalled = inVendor.filter((p) => devNames.has(p.name)).length;
  if (dev && devInstalled > 0) {
    checks.push({
      id: "vendor-dev-packages",
      severity: "warning",
      path: vendorDir,
      message: `${vendorDir}/ holds ${plural(devInstalled, "dev package")} (installed without --no-dev), so test and debug tools would ship to production; run composer install --no-dev`
    });
  }
  return checks;
}
var ENV_TEMPLATES = /^\.env\.(example|dist|sample|template|defaults)$/;
var FORBIDDEN = [
  {
    id: "secret-env",
    severity: "error",
    match: (_p, base, ctx) => {
      if (base !== ".env" && !base.startsWith(".env.")) return false;
      if (ENV_TEMPLATES.test(base) || base === ".env.testing") return false;
      if (ctx.symfony) return base === ".env.local" || /^\.env\.[^.]+\.local$/.test(base);
      return true;
    },
    message: (p) => `${p} would ship with the release: it holds this environment's settings and secrets and would override the server's; add ${p} to shared (and keep it in shared/ on the server) or exclude it`
  },
  {
    id: "secret-env",
    severity: "warning",
    match: (_p, base) => base === ".env.testing",
    message: (p) => `${p} would ship with the release: test settings have no use on a server and may hold credentials; exclude it`
  },
  {
    id: "secret-auth-json",
    severity: "error",
    match: (p) => p === "auth.json" || p === ".composer/auth.json" || p.endsWith("/.composer/auth.json"),
    message: (p) => `${p} would ship with the release: it holds Composer credentials (tokens for private repositories); delete it after composer install or exclude it (in CI pass COMPOSER_AUTH instead)`
  },
  {
    id: "secret-auth-json",
    severity: "error",
    match: (p, base) => base === "auth.json",
    // the rule above took the Composer locations
    content: /"(http-basic|github-oauth|gitlab-oauth|gitlab-token|bitbucket-oauth|bearer)"\s*:/,
    message: (p) => `${p} would ship with the release: it holds Composer credentials; exclude it (in CI pass COMPOSER_AUTH instead)`
  },
  {
    id: "secret-git-credentials",
    severity: "error",
    match: (_p, base) => base === ".git-credentials",
    message: (p) => `${p} would ship with the release: it holds git passwords or tokens; exclude it`
  },
  {
    id: "secret-private-key",
    severity: "warning",
    match: (_p, base) => /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base) || /\.(ppk|p12|pfx)$/i.test(base),
    message: (p) => `${p} looks like a private key and would ship with the release; exclude it, or if the app needs it keep it on the server via shared`
  },
  {
    id: "secret-private-key",
    severity: "warning",
    match: (_p, base) => /\.(pem|key)$/i.test(base),
    content: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
    message: (p) => `${p} holds a private key and would ship with the release; if the app needs it (e.g. Passport's oauth-private.key) keep it on the server via shared or an environment variable, otherwise exclude it`
  },
  {
    id: "secret-npmrc",
    severity: "warning",
    match: (_p, base) => base === ".npmrc",
    content: /(_authToken|_auth|_password)\s*=/,
    message: (p) => `${p} holds an npm registry token and would ship with the release; exclude it (in CI use NODE_AUTH_TOKEN)`
  }
];
async function checkForbidden(sourceDir, entries2, ctx, skipDirs) {
  const checks = [];
  for (const e of entries2) {
    if (e.type !== "f") continue;
    if (underAny(e.path, skipDirs) || /(^|\/)node_modules\//.test(e.path)) continue;
    const base = posix.basename(e.path);
    let head;
    for (const rule of FORBIDDEN) {
      if (!rule.match(e.path, base, ctx)) continue;
      if (rule.content) {
        head ??= await readHead(sourceDir, e.path) ?? "";
        if (!rule.content.test(head)) continue;
      }
      checks.push({ id: rule.id, severity: rule.severity, path: e.path, message: rule.message(e.path) });
      break;
    }
  }
  return checks;
}
function secretFindings(sourceDir, entries2) {
  return checkForbidden(sourceDir, entries2, { symfony: false }, []);
}
function totals(entries2) {
  let files = 0;
  let dirs = 0;
  let links = 0;
  let bytes = 0;
  const largest = [];
  for (const e of entries2) {
    if (e.type === "d") dirs++;
    else if (e.type === "l") links++;
    else {
      files++;
      bytes += e.size;
      largest.push(e);
      largest.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
      if (largest.length > 3) largest.pop();
    }
  }
  const top = largest.length > 0 ? `; largest: ${largest.map((e) => `${e.path} (${formatBytes(e.size)})`).join(", ")}` : "";
  return {
    id: "artifact-totals",
    severity: "info",
    message: `release holds ${plural(files, "file")} (${formatBytes(bytes)}), ${plural(dirs, "directory").replace(/directorys$/, "directories")}, ${plural(links, "symlink")}${top}`
  };
}
async function checkArtifact(sourceDir, entries2, shared = []) {
  const sharedPaths = cleanShared(shared);
  const release = entries2.filter((e) => !underAny(e.path, sharedPaths));
  const byPath = new Map(release.map((e) => [e.path, e]));
  const composer = await checkComposer(sourceDir, release, sharedPaths, byPath);
  const isLaravel = byPath.has("artisan") || composer.lockNames.has("laravel/framework");
  const symfony = !isLaravel && composer.lockNames.has("symfony/dotenv");
  return [
    ...checkSymlinks(sourceDir, release, sharedPaths, isLaravel),
    ...composer.checks,
    ...await checkForbidden(sourceDir, release, { symfony }, [composer.vendorDir]),
    totals(release)
  ];
}

// src/pack/seed.ts
var SEED_DIR = ".php-deploy-seed";
function ownMode(mode) {
  return mode & 511;
}
async function seedEntries(sourceDir, sharedPaths) {
  const out = [];
  for (const raw of sharedPaths) {
    const p = raw.replace(/\/+$/, "");
    const abs = join2(sourceDir, p);
    const st = await lstat(abs).catch(() => void 0);
    if (!st) continue;
    if (st.isDirectory()) {
      out.push({ type: "d", mode: ownMode(st.mode), size: 0, path: p, archivePath: `${SEED_DIR}/${p}` });
      const scan = await scanTree(abs, { exclude: [] });
      for (const e of scan.entries) {
        const mode = e.type === "l" ? e.mode : ownMode((await lstat(join2(abs, e.path))).mode);
        out.push({ ...e, mode, path: `${p}/${e.path}`, archivePath: `${SEED_DIR}/${p}/${e.path}` });
      }
    } else if (st.isFile()) {
      const data = await readFile2(abs);
      const sha256 = createHash("sha256").update(data).digest("hex");
      out.push({ type: "f", mode: ownMode(st.mode), size: data.length, sha256, path: p, archivePath: `${SEED_DIR}/${p}` });
    }
  }
  const skipped = await secretFindings(sourceDir, out);
  const flagged = new Set(skipped.map((c) => c.path));
  return { entries: out.filter((e) => !flagged.has(e.path)), skipped };
}

// src/engine/activate.ts
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  let firstError;
  let failed = false;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  if (failed) throw firstError;
  return results;
}
async function step(h, s, ref, name, reporter, once = false, backup = false) {
  try {
    const out = await runRemote(h.session, activateCommand(s, ref, name, { once, backup }), reporter, {
      phase: name,
      onPhase: (p) => reporter.info(`${h.session.label}: ${p}`)
    });
    if (out.result("switch_at_ms")) h.switchAtMs = Number(out.result("switch_at_ms"));
    if (out.result("switch_ms")) h.result.switchMs = Number(out.result("switch_ms"));
    if (name === "switch") h.switched = true;
    if (name === "finish" || name === "activate") {
      h.done = true;
      h.switched = true;
      h.result.ok = true;
      h.locked = false;
    }
    applyExit(h, exitFacts(out));
  } catch (err) {
    const e = asDeployError(err, h.session.label, name);
    if (e.details.rolledBack) h.result.rolledBack = true;
    h.result.error = e.oneLine();
    applyExit(h, e.details.exit);
    throw e;
  }
}
function applyExit(h, exit) {
  if (!exit?.lock || exit.lock === "none") return;
  h.locked = exit.lock === "held";
  if (exit.release !== void 0) h.done = exit.release === "ok";
  if (exit.switchedBack !== void 0) h.result.rolledBack = true;
}
async function undoHosts(hosts, s, ref, reason, reporter) {
  await Promise.all(
    hosts.filter((h) => h.locked).map(async (h) => {
      try {
        if (!h.session.isConnected) throw new DeployError("the connection was lost");
        const out = await runRemote(h.session, abortCommand(s, ref, reason), reporter, { phase: "abort" });
        if (out.result("rolled_back") === "true" || h.switched) h.result.rolledBack = true;
        h.locked = false;
      } catch (err) {
        reporter.warn(
          `${h.session.label}: could not reach the server to undo the deploy (${asDeployError(err).message}); the server undoes an interrupted upload by itself, otherwise its lock expires after ${s.lockTtlSec}s and the next deploy removes what is left`,
          { host: h.session.label, phase: "abort" }
        );
      }
    })
  );
}
async function revertDone(hosts, s, reporter) {
  await Promise.all(
    hosts.map(async (h) => {
      const target = h.result.previousDeployId;
      if (!target) {
        reporter.warn(`${h.session.label}: no previous release to switch back to; the new release stays live here`);
        return;
      }
      try {
        await runRemote(h.session, rollbackCommand({ ...s, deployId: target }, `revert.${Date.now()}`), reporter, { phase: "revert" });
        h.result.rolledBack = true;
        reporter.info(`${h.session.label}: switched back to ${target}`);
      } catch (err) {
        reporter.warn(`${h.session.label}: could not switch back to ${target}: ${asDeployError(err).message}`);
      }
    })
  );
}
function reportSkew(hosts, reporter) {
  const at = hosts.map((h) => h.switchAtMs).filter((t) => typeof t === "number" && Number.isFinite(t));
  if (at.length < 2) return void 0;
  const skew = Math.max(...at) - Math.min(...at);
  reporter.info(`switched ${at.length} hosts within ${skew} ms`);
  return skew;
}
async function prepareAll(hosts, s, ref, reporter, withOnce, backup) {
  const [first, ...rest] = hosts;
  if (!first) return;
  if (withOnce && (s.onceCommands.length > 0 || backup && s.backupCommand)) {
    await step(first, s, ref, "prepare", reporter, true, backup);
    await mapLimit(rest, s.maxParallel, (h) => step(h, s, ref, "prepare", reporter));
  } else {
    await mapLimit(hosts, s.maxParallel, (h) => step(h, s, ref, "prepare", reporter));
  }
}
async function activateGroup(group, s, ref, reporter, withOnce, backup = false) {
  try {
    await prepareAll(group, s, ref, reporter, withOnce, backup);
    await Promise.all(group.map((h) => step(h, s, ref, "switch", reporter).catch((e) => Promise.reject(e))));
  } catch (err) {
    await undoHosts(group, s, ref, asDeployError(err).oneLine(), reporter);
    throw err;
  }
  const skew = reportSkew(group, reporter);
  await mapLimit(group, s.maxParallel, (h) => step(h, s, ref, "finish", reporter));
  return skew;
}
async function activateHosts(hosts, s, ref, reporter, opts = {}) {
  const backup = opts.backup === true;
  if (hosts.length === 1 && hosts[0]) {
    await step(hosts[0], s, ref, "activate", reporter, true, backup);
    return {};
  }
  if (s.strategy === "all-at-once") {
    return { skewMs: await activateGroup(hosts, s, ref, reporter, true, backup) };
  }
  const done = [];
  for (let i = 0; i < hosts.length; i += s.batchSize) {
    const batch = hosts.slice(i, i + s.batchSize);
    reporter.info(`batch ${i / s.batchSize + 1}: ${batch.map((h) => h.session.label).join(", ")}`);
    try {
      await activateGroup(batch, s, ref, reporter, i === 0, i === 0 && backup);
      done.push(...batch);
    } catch (err) {
      const rest = hosts.slice(i + s.batchSize);
      await undoHosts(rest, s, ref, `batch ${i / s.batchSize + 1} failed`, reporter);
      if (s.rollingFailure === "revert" && done.length > 0) {
        reporter.warn(`switching the ${done.length} host(s) of earlier batches back (rolling-failure: revert)`);
        await revertDone(done, s, reporter);
      } else if (done.length > 0) {
        reporter.warn(`keeping the new release on ${done.map((h) => h.session.label).join(", ")} (rolling-failure: keep)`);
      }
      throw err;
    }
  }
  return {};
}

// src/engine/lease.ts
import { PassThrough as PassThrough2 } from "node:stream";
var STOP_WAIT_MS = 3e3;
function holdLease(session, command, reporter) {
  const stdin = new PassThrough2();
  const nonce = newNonce();
  const out = new RemoteOutput(() => {
  }, void 0, nonce);
  let lost;
  let stopped = false;
  const running = session.exec(`${command} nonce=${nonce}`, {
    stdin,
    onStdoutLine: (line) => {
      out.push(line);
      if (out.failure && lost === void 0) {
        lost = out.failure.message;
        if (!stopped) reporter.warn(`${session.label}: ${lost}`, { host: session.label, phase: out.failure.phase || "lock" });
      }
    }
  }).then((r) => {
    if (!stopped && r.code !== 0 && lost === void 0) {
      reporter.warn(`${session.label}: the lease renewal stopped (exit ${r.code ?? r.signal}); the lock expires unless the server renews it`, {
        host: session.label,
        phase: "lock"
      });
    }
  }).catch(() => {
  });
  return {
    get lost() {
      return lost;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stdin.end();
      let t;
      await Promise.race([running, new Promise((r) => t = setTimeout(r, STOP_WAIT_MS))]);
      clearTimeout(t);
    }
  };
}

// src/engine/preflight.ts
import { lstatSync, readFileSync } from "node:fs";
import { join as join3 } from "node:path";

// src/preflight/constraint.ts
var MODIFIER = "[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?";
var CLASSIC_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, "i");
var DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, "i");
var VERSION_IN_CONSTRAINT = `v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.(\\d+))?(?:${MODIFIER}|\\.([xX*][.-]?dev))(?:\\+[^\\s]+)?`;
var STABILITY_FLAG_RE = /^([^,\s]*?)@(stable|RC|beta|alpha|dev)$/i;
var ConstraintSyntaxError = class extends Error {
};
function expandStability(s) {
  switch (s.toLowerCase()) {
    case "a":
      return "alpha";
    case "b":
      return "beta";
    case "p":
    case "pl":
      return "patch";
    case "rc":
      return "RC";
    default:
      return s.toLowerCase();
  }
}
function normalizeVersion(input) {
  let v = input.trim();
  const orig = v;
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(v);
  if (alias) v = alias[1];
  v = v.replace(/@(?:stable|RC|beta|alpha|dev)$/i, "");
  if (v === "master" || v === "trunk" || v === "default") v = `dev-${v}`;
  if (/^dev-/i.test(v)) return `dev-${v.slice(4)}`;
  const build = /^([^,\s+]+)\+\S+$/.exec(v);
  if (build) v = build[1];
  let m = CLASSIC_RE.exec(v);
  let out;
  let idx = 0;
  if (m) {
    out = `${m[1]}${m[2] || ".0"}${m[3] || ".0"}${m[4] || ".0"}`;
    idx = 5;
  } else if (m = DATE_RE.exec(v)) {
    out = m[1].replace(/\D/g, ".");
    idx = 2;
  }
  if (m && out !== void 0) {
    const stab = m[idx];
    if (stab) {
      if (stab.toLowerCase() === "stable") return out;
      out += `-${expandStability(stab)}${(m[idx + 1] ?? "").replace(/^[.-]+/, "")}`;
    }
    if (m[idx + 2]) out += "-dev";
    return out;
  }
  const branch = /^(.*?)[.-]?dev$/i.exec(v);
  if (branch) {
    const b = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/.exec(branch[1].trim());
    if (b) {
      let s = "";
      for (let i = 1; i < 5; i++) s += b[i] !== void 0 ? b[i].replace(/[*X]/g, "x") : ".x";
      return `${s.replace(/x/g, "9999999")}-dev`;
    }
  }
  throw new ConstraintSyntaxError(`invalid version string "${orig}"`);
}
function tokens(v) {
  const out = [];
  for (const part of v.replace(/[-_+]/g, ".").split(".")) {
    if (part === "") continue;
    for (const run of part.match(/\d+|\D+/g) ?? []) out.push(/^\d/.test(run) ? Number(run) : run);
  }
  return out;
}
function rank(t) {
  if (typeof t === "number") return 5;
  const s = t.toLowerCase();
  if (s === "dev") return 1;
  if (s === "alpha" || s === "a") return 2;
  if (s === "beta" || s === "b") return 3;
  if (s === "rc") return 4;
  if (s === "#") return 5;
  if (s === "pl" || s === "p" || s === "patch") return 6;
  return 0;
}
function compareVersions(a, b) {
  const ta = tokens(a);
  const tb = tokens(b);
  const n = Math.max(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === void 0) return typeof y === "number" ? -1 : 5 - rank(y) || 0;
    if (y === void 0) return typeof x === "number" ? 1 : rank(x) - 5 || 0;
    if (typeof x === "number" && typeof y === "number") {
      if (x !== y) return x - y;
    } else if (rank(x) !== rank(y)) {
      return rank(x) - rank(y);
    }
  }
  return 0;
}
function bump(parts, position, increment) {
  const p = [0, 1, 2, 3, 4].map((i) => Number(parts[i] ?? 0) || 0);
  for (let i = 4; i > 0; i--) {
    if (i > position) p[i] = 0;
    else if (i === position) p[i] = (p[i] ?? 0) + increment;
  }
  return `${p[1]}.${p[2]}.${p[3]}.${p[4]}`;
}
var present = (s) => s !== void 0 && s !== "";
function parseAtom(input) {
  let c = input;
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(c);
  if (alias) c = alias[1];
  let stabilityModifier;
  const flag = STABILITY_FLAG_RE.exec(c);
  if (flag) {
    c = flag[1] !== "" ? flag[1] : "*";
    if (flag[2].toLowerCase() !== "stable") stabilityModifier = flag[2];
  }
  const ref = /^(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+$/i.exec(c);
  if (ref) c = ref[1];
  const star = /^(v)?[xX*](\.[xX*])*$/i.exec(c);
  if (star) return star[1] || star[2] ? [{ op: ">=", version: "0.0.0.0-dev" }] : [];
  const range = rangeAtoms(c, input);
  if (range) return range;
  const m = /^(<>|!=|>=?|<=?|==?)?\s*(.*)$/.exec(c);
  if (m) {
    const raw = m[2];
    let version;
    try {
      version = normalizeVersion(raw);
    } catch (err) {
      if (raw.endsWith("-dev") && /^[0-9a-zA-Z./-]+$/.test(raw)) version = normalizeVersion(`dev-${raw.slice(0, -4)}`);
      else throw err;
    }
    const written = m[1] ?? "";
    const op = written === "" || written === "==" ? "=" : written === "<>" ? "!=" : written;
    if (op !== "=" && stabilityModifier && parseStability(version) === "stable") {
      version += `-${stabilityModifier}`;
    } else if ((op === "<" || op === ">=") && !new RegExp(`-${MODIFIER}$`).test(raw.toLowerCase()) && !raw.startsWith("dev-")) {
      version += "-dev";
    }
    return [{ op, version }];
  }
  throw new ConstraintSyntaxError(`cannot parse "${input}"`);
}
function rangeAtoms(c, input) {
  let m = new RegExp(`^~>?${VERSION_IN_CONSTRAINT}$`, "i").exec(c);
  if (m) {
    if (c.startsWith("~>")) throw new ConstraintSyntaxError(`invalid operator "~>" in "${input}" (did you mean "~"?)`);
    let position = present(m[4]) ? 4 : present(m[3]) ? 3 : present(m[2]) ? 2 : 1;
    if (m[8]) position++;
    const suffix = !m[5] && !m[7] && !m[8] ? "-dev" : "";
    return [
      { op: ">=", version: normalizeVersion(c.slice(1) + suffix) },
      { op: "<", version: `${bump(m, Math.max(1, position - 1), 1)}-dev` }
    ];
  }
  m = new RegExp(`^\\^${VERSION_IN_CONSTRAINT}$`, "i").exec(c);
  if (m) {
    const position = m[1] !== "0" || !present(m[2]) ? 1 : m[2] !== "0" || !present(m[3]) ? 2 : 3;
    const suffix = !m[5] && !m[7] && !m[8] ? "-dev" : "";
    return [
      { op: ">=", version: normalizeVersion(c.slice(1) + suffix) },
      { op: "<", version: `${bump(m, position, 1)}-dev` }
    ];
  }
  m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+$/.exec(c);
  if (m) {
    const position = present(m[3]) ? 3 : present(m[2]) ? 2 : 1;
    const low = `${bump(m, position, 0)}-dev`;
    const high = `${bump(m, position, 1)}-dev`;
    return low === "0.0.0.0-dev" ? [{ op: "<", version: high }] : [{ op: ">=", version: low }, { op: "<", version: high }];
  }
  m = new RegExp(`^(${VERSION_IN_CONSTRAINT}) +- +(${VERSION_IN_CONSTRAINT})$`, "i").exec(c);
  if (m) {
    const from = m[1];
    const to = m[10];
    const lowSuffix = !m[6] && !m[8] && !m[9] ? "-dev" : "";
    const lower = { op: ">=", version: normalizeVersion(from) + lowSuffix };
    const full = present(m[12]) && present(m[13]) || !!m[15] || !!m[17] || !!m[18];
    if (full) return [lower, { op: "<=", version: normalizeVersion(to) }];
    normalizeVersion(to);
    const high = ["", m[11], m[12], m[13], m[14]];
    return [lower, { op: "<", version: `${bump(high, present(m[12]) ? 2 : 1, 1)}-dev` }];
  }
  return void 0;
}
function parseStability(normalized) {
  if (normalized.startsWith("dev-") || normalized.endsWith("-dev")) return "dev";
  const m = /-(alpha|beta|RC|patch)/i.exec(normalized);
  return m && m[1].toLowerCase() !== "patch" ? m[1] : "stable";
}
function parseConstraint(text) {
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (trimmed === "") throw new DeployError(`empty version constraint`, { phase: "preflight" });
  const any = [];
  try {
    for (const orPart of trimmed.split(/ ?\|\|? ?/)) {
      const andParts = orPart.split(/(?<!^|as|[=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|$)/);
      const group = [];
      for (const part of andParts) group.push(...parseAtom(part.trim()));
      any.push(group);
    }
  } catch (err) {
    if (err instanceof ConstraintSyntaxError) {
      throw new DeployError(`cannot parse version constraint "${text}": ${err.message}`, { phase: "preflight", cause: err });
    }
    throw err;
  }
  return { text, any };
}
function atomHolds(version, a) {
  if (a.version.startsWith("dev-") || version.startsWith("dev-")) {
    return a.op === "=" ? a.version === version : a.op === "!=" ? a.version !== version : false;
  }
  const c = compareVersions(version, a.version);
  switch (a.op) {
    case "=":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case ">=":
      return c >= 0;
  }
}
function constraintMatches(constraint, normalizedVersion) {
  return constraint.any.some((group) => group.every((a) => atomHolds(normalizedVersion, a)));
}
function normalizePhpVersion(phpVersion) {
  const m = /^\s*v?(\d+(?:\.\d+){0,3})(?:[-.]?(alpha|beta|rc|a|b)(\d*))?(-dev)?/i.exec(phpVersion);
  if (!m) throw new DeployError(`cannot read PHP version "${phpVersion}"`, { phase: "preflight" });
  return normalizeVersion(`${m[1]}${m[2] ? `-${m[2]}${m[3] ?? ""}` : ""}${m[4] ?? ""}`);
}

// src/preflight/platform.ts
var ROOT_REQUIRER = "composer.lock platform";
function parseLock(text) {
  let v;
  try {
    v = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new DeployError(`composer.lock is not valid JSON (${err.message}); regenerate it with composer update --lock`, {
      phase: "preflight",
      cause: err
    });
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new DeployError("composer.lock is not a JSON object; regenerate it with composer update --lock", { phase: "preflight" });
  }
  return v;
}
function stringMap(v) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return [];
  return Object.entries(v).filter((e) => typeof e[1] === "string");
}
function packageList(v) {
  return Array.isArray(v) ? v.filter((p) => typeof p === "object" && p !== null) : [];
}
function normalizeExtension(name) {
  const n = name.trim().toLowerCase().replace(/^ext-/, "").replace(/[\s_-]+/g, "-");
  return EXTENSION_ALIASES[n] ?? n;
}
var EXTENSION_ALIASES = { opcache: "zend-opcache" };
function requirementName(name) {
  const n = name.toLowerCase();
  if (n === "php" || n === "php-64bit") return "php";
  if (n.startsWith("ext-") && n.length > 4) return n;
  return void 0;
}
function platformRequirements(composerLockText, opts = {}) {
  const lock = parseLock(composerLockText);
  const out = [];
  const seen = /* @__PURE__ */ new Set();
  const add = (rawName, constraint, from) => {
    const name = requirementName(rawName);
    if (!name) return;
    const key = `${name}\0${constraint}\0${from}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ name, constraint, from });
  };
  for (const [n, c] of stringMap(lock.platform)) add(n, c, ROOT_REQUIRER);
  if (opts.dev) for (const [n, c] of stringMap(lock["platform-dev"])) add(n, c, `${ROOT_REQUIRER} (dev)`);
  const packages = [...packageList(lock.packages), ...opts.dev ? packageList(lock["packages-dev"]) : []];
  const provided = /* @__PURE__ */ new Set();
  for (const p of packages) {
    const from = typeof p.name === "string" ? p.name : "(unnamed package)";
    for (const [n, c] of stringMap(p.require)) add(n, c, from);
    for (const [n] of [...stringMap(p.provide), ...stringMap(p.replace)]) {
      if (requirementName(n)?.startsWith("ext-")) provided.add(normalizeExtension(n));
    }
  }
  return out.filter((r) => r.name === "php" || !provided.has(normalizeExtension(r.name)));
}
function platformOverrides(composerLockText) {
  return Object.fromEntries(stringMap(parseLock(composerLockText)["platform-overrides"]));
}
var ALWAYS_LOADED = [
  ["core", "0"],
  ["date", "5.3"],
  ["pcre", "5.3"],
  ["reflection", "5.3"],
  ["spl", "5.3"],
  ["standard", "0"],
  ["hash", "7.4"],
  ["json", "8.0"],
  ["random", "8.2"]
];
var BUILT_IN = /* @__PURE__ */ new Set(["core", "date", "filter", "hash", "json", "libxml", "openssl", "pcre", "random", "reflection", "session", "sodium", "spl", "standard", "zlib"]);
var DEB_PACKAGE = {
  "pdo-mysql": "mysql",
  mysqli: "mysql",
  mysqlnd: "mysql",
  "pdo-pgsql": "pgsql",
  "pdo-sqlite": "sqlite3",
  "pdo-odbc": "odbc",
  "pdo-dblib": "sybase",
  "pdo-firebird": "interbase",
  "zend-opcache": "opcache",
  dom: "xml",
  simplexml: "xml",
  xmlreader: "xml",
  xmlwriter: "xml",
  xsl: "xml",
  ctype: "common",
  fileinfo: "common",
  iconv: "common",
  tokenizer: "common",
  ftp: "common",
  gettext: "common",
  exif: "common",
  calendar: "common",
  sockets: "common",
  shmop: "common",
  sysvmsg: "common",
  sysvsem: "common",
  sysvshm: "common",
  pdo: "common",
  phar: "common",
  posix: "common",
  ffi: "common"
};
function phpMinor(normalized) {
  const [major = "0", minor = "0"] = normalized.split(".");
  return `${major}.${minor}`;
}
function missingExtensionFix(ext, minor, where) {
  const reload = /fpm/i.test(where) ? " and reload php-fpm" : "";
  if (BUILT_IN.has(ext)) return `it is compiled into PHP, so this PHP build lacks it: use a PHP build with ${ext} enabled${reload}`;
  const pkg = DEB_PACKAGE[ext] ?? ext.replace(/-/g, "");
  const modName = ext === "zend-opcache" ? "opcache" : ext.replace(/-/g, "_");
  return `install php${minor}-${pkg} (or enable it: phpenmod ${modName})${reload}`;
}
function listRequirers(froms, max = 3) {
  const unique = [...new Set(froms)];
  const shown = unique.slice(0, max).join(", ");
  return unique.length > max ? `${shown} and ${unique.length - max} more` : shown;
}
var CANDIDATE_MINORS = [
  ...[0, 1, 2, 3, 4, 5, 6].map((m) => [5, m]),
  ...[0, 1, 2, 3, 4].map((m) => [7, m]),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => [8, m]),
  ...[0, 1, 2, 3, 4].map((m) => [9, m])
];
var candidates;
function candidateVersions() {
  candidates ??= CANDIDATE_MINORS.flatMap(([ma, mi]) => Array.from({ length: 100 }, (_, p) => `${ma}.${mi}.${p}.0`));
  return candidates;
}
function display(normalized, keepPatch) {
  const [ma, mi, p] = normalized.split(".");
  return keepPatch || p !== "0" ? `${ma}.${mi}.${p}` : `${ma}.${mi}`;
}
function nearest(reqs, runtime, dir) {
  const list = dir === 1 ? candidateVersions() : [...candidateVersions()].reverse();
  return list.find((v) => compareVersions(v, runtime) * dir > 0 && reqs.every((r) => constraintMatches(r.c, v)));
}
function checkPhpVersion(parsed, runtime, rt, where, overrides) {
  const failing = parsed.filter((r) => !constraintMatches(r.c, rt));
  if (failing.length === 0) return void 0;
  const up = nearest(parsed, rt, 1);
  const down = up ? void 0 : nearest(parsed, rt, -1);
  const dir = up || !down ? 1 : -1;
  let strictest = failing[0];
  let strictestAt = nearest([strictest], rt, dir);
  for (const r of failing.slice(1)) {
    const at = nearest([r], rt, dir);
    if (strictestAt === void 0) break;
    const farther = at === void 0 || compareVersions(at, strictestAt) * dir > 0;
    const tie = at !== void 0 && compareVersions(at, strictestAt) === 0 && strictest.req.from === ROOT_REQUIRER;
    if (farther || tie) {
      strictest = r;
      strictestAt = at;
    }
  }
  const others = failing.filter((r) => r.req.from !== strictest.req.from).map((r) => r.req.from);
  const more = others.length > 0 ? ` and ${new Set(others).size} more` : "";
  const from = strictest.req.from;
  const found = `${where} runs PHP ${runtime.php.trim()}`;
  const needs = `composer.lock requires php ${strictest.req.constraint} (from ${from}${more})`;
  const minor = phpMinor(rt);
  const target = up ?? down;
  const message = (() => {
    if (!target) {
      return `${found} but no PHP version satisfies every php requirement in composer.lock, e.g. php ${strictest.req.constraint} (from ${from}${more}); run composer update to get a consistent composer.lock`;
    }
    const sameMinor = phpMinor(target) === minor;
    const sugg = dir === -1 && !sameMinor ? phpMinor(target) : display(target, sameMinor);
    if (dir === 1) {
      const pinned = overrides["php"];
      const pin = pinned ? `fix the pinned platform (composer.json config.platform.php is ${pinned}; set it to ${display(rt, true)}) and run composer update` : `pin the platform to the server's PHP (composer config platform.php ${display(rt, true)}, then composer update) so Composer picks versions that run on it`;
      return `${found} but ${needs}; install PHP ${sugg} for the ${where} or ${pin}`;
    }
    const update = from === ROOT_REQUIRER ? "widen the php requirement in composer.json and run composer update" : `update ${from} to a release that supports PHP ${minor} (composer update ${from} --with-all-dependencies)`;
    return `${found} but ${needs}; run the ${where} on PHP ${sugg} or ${update}`;
  })();
  return { id: "platform-php", severity: "error", message };
}
function checkPlatform(reqs, runtime, where, opts = {}) {
  const checks = [];
  const overrides = opts.overrides ?? {};
  const rt = normalizePhpVersion(runtime.php);
  const overridden = Object.entries(overrides);
  if (overridden.length > 0) {
    const list = overridden.map(([n, v]) => `${n} ${v}`).join(", ");
    checks.push({
      id: "platform-override",
      severity: "info",
      message: `composer.lock was resolved for a pretended platform (config.platform: ${list}) while the ${where} runs PHP ${runtime.php.trim()}; keep config.platform.php equal to the servers' PHP`
    });
  }
  const parsed = [];
  for (const req of reqs.filter((r) => r.name === "php")) {
    try {
      parsed.push({ req, c: parseConstraint(req.constraint) });
    } catch (err) {
      const why = err instanceof DeployError ? err.message : String(err);
      checks.push({ id: "platform-constraint", severity: "warning", message: `${why} (php, from ${req.from}); it was not checked against the ${where}` });
    }
  }
  const php = checkPhpVersion(parsed, runtime, rt, where, overrides);
  if (php) checks.push(php);
  const extReqs = reqs.filter((r) => r.name !== "php");
  let extProblems = 0;
  if (extReqs.length > 0 && runtime.extensions.length === 0) {
    extProblems++;
    checks.push({ id: "platform-ext", severity: "warning", message: `the ${where} reported no loaded extensions, so ${extReqs.length} ext-* requirements were not checked` });
  } else {
    const loaded = new Set(runtime.extensions.map(normalizeExtension));
    for (const [ext, since] of ALWAYS_LOADED) if (compareVersions(rt, normalizeVersion(since)) >= 0) loaded.add(ext);
    const missing = /* @__PURE__ */ new Map();
    for (const r of extReqs) {
      const ext = normalizeExtension(r.name);
      if (loaded.has(ext)) continue;
      const m = missing.get(ext) ?? { name: r.name, froms: [] };
      m.froms.push(r.from);
      missing.set(ext, m);
    }
    for (const [ext, m] of missing) {
      checks.push({
        id: "platform-ext",
        severity: "error",
        message: `${where} lacks ${m.name} (required by ${listRequirers(m.froms)}); ${missingExtensionFix(ext, phpMinor(rt), where)}`
      });
    }
    extProblems = missing.size;
  }
  if (!php && extProblems === 0) {
    const exts = new Set(extReqs.map((r) => normalizeExtension(r.name))).size;
    checks.push({
      id: "platform-ok",
      severity: "info",
      message: `${where} runs PHP ${runtime.php.trim()}: meets ${parsed.length} php requirement${parsed.length === 1 ? "" : "s"} and has all ${exts} required extension${exts === 1 ? "" : "s"}`
    });
  }
  return checks;
}

// src/engine/preflight.ts
function parseRuntime(json) {
  if (!json) return void 0;
  try {
    const v = JSON.parse(json);
    if (typeof v.php !== "string" || !Array.isArray(v.extensions)) return void 0;
    return { php: v.php, extensions: v.extensions.map(String) };
  } catch {
    return void 0;
  }
}
async function checkServer(session, settings, needBytes, reporter, opts = {}) {
  const out = await runRemote(session, preflightCommand(settings, needBytes, opts), reporter, { phase: "preflight" });
  return {
    host: session.label,
    live: out.result("live"),
    liveManifest: out.manifest,
    checks: out.checks.map((c) => ({ host: session.label, id: c.id, severity: c.severity ?? "info", message: c.message })),
    fpm: parseRuntime(out.result("fpm_platform")),
    cli: parseRuntime(out.result("cli_platform")),
    sharedTypes: new Map(
      out.all("shared_type").map((v) => {
        const [type = "", ...path] = v.split(" ");
        return [path.join(" "), type];
      })
    )
  };
}
var TYPE_NAME = { d: "a directory", f: "a file", l: "a symlink", o: "neither a file nor a directory" };
function localType(path) {
  try {
    const st = lstatSync(path);
    return st.isDirectory() ? "d" : st.isFile() ? "f" : st.isSymbolicLink() ? "l" : "o";
  } catch {
    return void 0;
  }
}
function sharedTypeChecks(settings, facts) {
  const out = [];
  for (const raw of settings.shared) {
    const p = raw.replace(/\/+$/, "");
    const wantDir = raw.endsWith("/");
    const server = facts.sharedTypes.get(p);
    const local = localType(join3(settings.source, p));
    const fail = (message) => {
      out.push({ host: facts.host, id: "shared-type", severity: "error", message });
    };
    if (server && server !== "d" && server !== "f") {
      fail(`shared/${p} on the server is ${TYPE_NAME[server] ?? server}; make it a directory or a file`);
    } else if (server && local && local !== "l" && local !== server) {
      fail(
        `${p} is ${TYPE_NAME[server]} in shared/ on the server but ${TYPE_NAME[local]} in the source; make them the same (move shared/${p} aside on the server, or fix the source)`
      );
    } else if (wantDir && server === "f") {
      fail(`shared '${raw}' is declared a directory (trailing /) but shared/${p} on the server is a file; move it aside or drop the /`);
    } else if (wantDir && local === "f") {
      fail(`shared '${raw}' is declared a directory (trailing /) but ${p} in the source is a file; fix the source or drop the /`);
    }
  }
  return out;
}
function reportChecks(checks, reporter) {
  for (const c of checks) {
    const where = `${c.host ? `${c.host}: ` : ""}${c.id}`;
    if (c.severity === "error") reporter.error(`${where}: ${c.message}`, { host: c.host, phase: "preflight" });
    else if (c.severity === "warning") reporter.warn(`${where}: ${c.message}`, { host: c.host, phase: "preflight" });
    else reporter.info(`${where}: ${c.message}`);
  }
}
function checksError(checks, phase2 = "preflight") {
  const errors = checks.filter((c) => c.severity === "error");
  const first = errors[0];
  if (!first) return void 0;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more failed check${errors.length > 2 ? "s" : ""} above)` : "";
  return new DeployError(`${first.id}: ${first.message}${more}`, { host: first.host, phase: phase2 });
}
function platformChecks(settings, facts) {
  let lock;
  try {
    lock = readFileSync(join3(settings.source, "composer.lock"), "utf8");
  } catch {
    return [];
  }
  const reqs = platformRequirements(lock);
  const overrides = platformOverrides(lock);
  const out = [];
  if (facts.fpm) {
    const where = `php-fpm pool at ${settings.fpmSocket}`;
    out.push(...checkPlatform(reqs, facts.fpm, where, { overrides }).map((c) => ({ ...c, host: facts.host })));
  }
  if (facts.cli) {
    out.push(...checkPlatform(reqs, facts.cli, "php CLI (runs before-switch)", { overrides }).map((c) => ({ ...c, host: facts.host })));
  }
  return out;
}

// src/engine/migration-guard.ts
import { readFileSync as readFileSync2 } from "node:fs";
import { join as join5 } from "node:path";

// src/migrations/index.ts
import { readFile as readFile3 } from "node:fs/promises";
import { join as join4 } from "node:path";

// src/migrations/discover.ts
var DRIVERS = /^(?:mysql|mysqli|mariadb|pgsql|postgres|postgresql|pg|sqlite|sqlite3|mssql|sqlsrv|oracle|oci|oci8)$/i;
var SQL_ROOTS = /^(?:sql|db|database|databases|schema|schemas|install|installer|setup|upgrade|upgrades|migrations?)$/i;
var MIGRATION_DIR = /^(?:migrations?|doctrinemigrations|upgrades?|updates?|patch(?:es)?|deltas?|changes?)$/i;
var MIGRATION_DIR_LOOSE = /migration/i;
var NOT_A_MIGRATION_SQL = /(?:^|[._-])(?:initial|install|schema|structure|seed|seeds|dump|base|baseline|drop|data|sample|demo|test)(?:[._-]|$)/i;
var EXCLUDED = [
  { re: /(?:^|\/)vendor\//, reason: "third-party package (vendor/)" },
  { re: /(?:^|\/)node_modules\//, reason: "third-party package (node_modules/)" },
  { re: /(?:^|\/)(?:tests?|spec|fixtures?|Tests)\//, reason: "test code" },
  { re: /(?:^|\/)var\/cache\//, reason: "cache" }
];
var DOCTRINE_BASES = /^(?:Doctrine\\Migrations\\AbstractMigration|Doctrine\\DBAL\\Migrations\\AbstractMigration)$/;
var LARAVEL_BASES = /^Illuminate\\Database\\Migrations\\Migration$/;
function dirOf(p) {
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : p.slice(0, i);
}
function excluded(p) {
  return EXCLUDED.find((e) => e.re.test(p))?.reason;
}
function normalize(p) {
  const out = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return void 0;
      out.pop();
    } else out.push(seg);
  }
  return out.join("/");
}
function resolveConfigPath(raw, configFile) {
  let p = raw.trim();
  const fromDir = p.startsWith("__DIR__.");
  p = p.replace(/^__DIR__\./, "").replace(/^['"]|['"]$/g, "");
  if (fromDir) return normalize(`${dirOf(configFile)}/${p}`);
  const legacy = configFile.startsWith("app/");
  p = p.replace(/%kernel\.project_dir%/g, "").replace(/%kernel\.root_dir%/g, legacy ? "app" : "src");
  if (/[%$]/.test(p)) return void 0;
  return normalize(p);
}
function configuredDoctrineDirs(paths, read) {
  const configs = paths.filter(
    (p) => /^config\/packages\/(?:[^/]+\/)?doctrine_migrations\.(?:ya?ml|php)$/.test(p) || /^app\/config\/config(?:_[a-z]+)?\.ya?ml$/.test(p)
  );
  const out = [];
  for (const file of configs) {
    const text = read(file);
    if (text === void 0) continue;
    const values = [];
    if (file.endsWith(".php")) {
      const block = /['"]migrations_paths['"]\s*=>\s*\[([\s\S]*?)\]/.exec(text)?.[1] ?? "";
      for (const m of block.matchAll(/=>\s*((?:__DIR__\s*\.\s*)?['"][^'"]+['"])/g)) values.push(m[1].replace(/^__DIR__\s*\.\s*/, "__DIR__."));
    } else {
      values.push(...yamlMigrationPaths(text));
    }
    for (const v of values) {
      const dir = resolveConfigPath(v, file);
      if (dir !== void 0) out.push({ dir, file });
    }
  }
  return out;
}
function yamlMigrationPaths(text) {
  const lines = text.split(/\r?\n/);
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\s+#.*$/, "");
    const dirName = /^\s*dir_name\s*:\s*(.+?)\s*$/.exec(line);
    if (dirName) out.push(dirName[1]);
    const head = /^(\s*)migrations_paths\s*:\s*(.*)$/.exec(line);
    if (!head) continue;
    const inline = head[2].trim();
    if (inline.startsWith("{")) {
      for (const m of inline.matchAll(/:\s*(['"][^'"]+['"]|[^,}\s]+)/g)) out.push(m[1]);
      continue;
    }
    const indent = head[1].length;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j].replace(/\s+#.*$/, "");
      if (l.trim() === "") continue;
      if ((/^(\s*)/.exec(l)?.[1]?.length ?? 0) <= indent) break;
      const kv = /^\s*(?:'[^']*'|"[^"]*"|[^:]+)\s*:\s*(.+?)\s*$/.exec(l);
      if (kv) out.push(kv[1]);
    }
  }
  return out;
}
function composerMigrationDirs(read) {
  const text = read("composer.json");
  if (text === void 0) return [];
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const out = [];
  for (const kind of ["psr-4", "psr-0"]) {
    const map = json.autoload?.[kind];
    if (!map || typeof map !== "object") continue;
    for (const [ns, dirs] of Object.entries(map)) {
      if (!/migrations?/i.test(ns)) continue;
      for (const d of Array.isArray(dirs) ? dirs : [dirs]) {
        if (typeof d !== "string") continue;
        const dir = d.replace(/^\.?\//, "").replace(/\/+$/, "");
        if (!dir.startsWith("..")) out.push({ dir: dir === "" ? "." : dir, ns: ns.replace(/\\+$/, "") });
      }
    }
  }
  return out;
}
function migrationClass(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\/|(?:\/\/|#(?!\[)).*$/gm, "");
  const uses = /* @__PURE__ */ new Map();
  for (const m of code.matchAll(/^\s*use\s+\\?([\w\\]+)(?:\s+as\s+(\w+))?\s*;/gm)) {
    const fq2 = m[1];
    uses.set((m[2] ?? fq2.slice(fq2.lastIndexOf("\\") + 1)).toLowerCase(), fq2);
  }
  const ext = /\b(abstract\s+)?(?:final\s+|readonly\s+)*class\b[^{;]*?\bextends\s+\\?([\w\\]+)/.exec(code);
  if (!ext) return { not: "no class that extends a migration base class" };
  const written = ext[2];
  const short = written.slice(written.lastIndexOf("\\") + 1);
  const fq = written.includes("\\") ? written : uses.get(short.toLowerCase()) ?? written;
  if (ext[1]) return { not: `abstract base class (extends ${short})` };
  if (DOCTRINE_BASES.test(fq)) return { kind: "doctrine", base: short };
  if (LARAVEL_BASES.test(fq)) return { kind: "laravel", base: short };
  const hasUp = /function\s+(?:(?:pre|post|safe)?up|change)\s*\(/i.test(code);
  if (/Migration$/i.test(short) && hasUp) return { kind: "project", base: short };
  if (/Migration$/i.test(short)) return { not: `extends ${short} but has no up() method` };
  return { not: `extends ${short}, not a migration base class` };
}
function describeKind(kinds, bases) {
  const what = [...kinds].map((k) => k === "doctrine" ? "Doctrine" : k === "laravel" ? "Laravel" : "project").join("/");
  return `${what} migration classes (extend ${[...bases].join(", ")})`;
}
function discoverMigrations(paths, read, opts = {}) {
  const d = new Discoverer(paths, read);
  if (opts.globs) d.byGlobs(opts.globs, "migrations-path");
  else {
    d.byConfig();
    d.byGlobs(DEFAULT_MIGRATION_GLOBS, "default folder");
    d.byBaseClass();
    d.byDriverFolders();
  }
  return d.result();
}
var Discoverer = class {
  constructor(paths, read) {
    this.paths = paths;
    this.read = read;
  }
  paths;
  read;
  found = /* @__PURE__ */ new Map();
  skipped = /* @__PURE__ */ new Map();
  classCache = /* @__PURE__ */ new Map();
  configured = [];
  classOf(p) {
    let c = this.classCache.get(p);
    if (!c) {
      const text = this.read(p);
      c = text === void 0 ? { not: "cannot be read" } : migrationClass(text);
      this.classCache.set(p, c);
    }
    return c;
  }
  add(p, how, seq = "") {
    if (!this.found.has(p)) this.found.set(p, { how, seq });
    this.skipped.delete(p);
  }
  skip(p, reason) {
    if (!this.found.has(p) && !this.skipped.has(p)) this.skipped.set(p, reason);
  }
  /**
   * A file in a folder that holds migrations (by default or by configuration): added unless it is
   * third-party or test code, or an abstract base class. A PHP file there that is no migration
   * class is still scanned (procedural upgrade scripts run SQL too).
   */
  consider(p, how, seq = "") {
    const ex = excluded(p);
    if (ex) return this.skip(p, ex);
    if (/\.sql$/i.test(p)) return this.add(p, how, seq);
    if (!/\.php$/i.test(p)) return;
    const c = this.classOf(p);
    if (c.not?.startsWith("abstract")) this.skip(p, c.not);
    else this.add(p, how, seq);
  }
  byGlobs(globs, how) {
    const res = globs.map(globToRegExp);
    const explicit = how === "migrations-path";
    for (const p of this.paths) {
      if (!res.some((re) => re.test(p))) continue;
      if (explicit) this.add(p, how, driverSequence(p));
      else if (/\.php$/i.test(p)) this.consider(p, how);
      else this.add(p, how, driverSequence(p));
    }
  }
  byConfig() {
    for (const { dir, file } of configuredDoctrineDirs(this.paths, this.read)) this.configured.push({ dir, how: `${file} migrations_paths` });
    for (const { dir, ns } of composerMigrationDirs(this.read)) this.configured.push({ dir, how: `composer.json autoload ${ns}` });
    for (const c of this.configured) {
      if (c.dir === "." || c.dir === "") continue;
      const prefix = `${c.dir}/`;
      for (const p of this.paths) if (p.startsWith(prefix) && /\.php$/i.test(p)) this.consider(p, c.how);
    }
  }
  byBaseClass() {
    for (const p of this.paths) {
      if (!/\.php$/i.test(p) || this.found.has(p)) continue;
      const dir = dirOf(p);
      const name = p.slice(dir.length + 1);
      const looks = dir.split("/").some((s) => MIGRATION_DIR_LOOSE.test(s)) || /^Version\w*\d{6,}\w*\.php$/.test(name);
      if (!looks) continue;
      const ex = excluded(p);
      if (ex) {
        this.skip(p, ex);
        continue;
      }
      const c = this.classOf(p);
      if (c.kind) this.add(p, `base class ${c.base}`);
      else if (/^(?:Version|\d{4}_\d{2}_\d{2}_)/.test(name) || c.not?.startsWith("abstract")) this.skip(p, c.not ?? "not a migration class");
    }
  }
  byDriverFolders() {
    const candidates2 = [];
    for (const p of this.paths) {
      if (!/\.sql$/i.test(p) || this.found.has(p)) continue;
      const segs = dirOf(p).split("/");
      const driverAt = segs.findIndex((s, i) => DRIVERS.test(s) && (i > 0 ? SQL_ROOTS.test(segs[i - 1]) || MIGRATION_DIR.test(segs[i + 1] ?? "") : true));
      const inMigrationDir = segs.some((s) => MIGRATION_DIR.test(s));
      if (driverAt < 0 && !inMigrationDir) continue;
      const ex = excluded(p);
      if (ex) {
        this.skip(p, ex);
        continue;
      }
      const name = p.slice(p.lastIndexOf("/") + 1).replace(/\.sql$/i, "");
      if (NOT_A_MIGRATION_SQL.test(name)) {
        this.skip(p, "a whole schema, seed or dump, not a migration");
        continue;
      }
      const how = driverAt >= 0 ? `SQL migrations for ${segs[driverAt]}` : "SQL migrations folder";
      candidates2.push({ p, root: inMigrationDir ? "" : segs.slice(0, driverAt + 1).join("/"), how });
    }
    const perRoot = /* @__PURE__ */ new Map();
    for (const c of candidates2) if (c.root) perRoot.set(c.root, (perRoot.get(c.root) ?? 0) + 1);
    for (const c of candidates2) {
      if (c.root && perRoot.get(c.root) < 2) this.skip(c.p, "a single SQL file in a driver folder, not a sequence of migrations");
      else this.add(c.p, c.how, driverSequence(c.p));
    }
  }
  result() {
    const files = sortMigrationPaths([...this.found.keys()]);
    const byDir = /* @__PURE__ */ new Map();
    const seqDirs = /* @__PURE__ */ new Map();
    for (const f of files) {
      const seq = this.found.get(f).seq;
      if (!seq) continue;
      let ds = seqDirs.get(seq);
      if (!ds) seqDirs.set(seq, ds = /* @__PURE__ */ new Set());
      ds.add(dirOf(f));
    }
    for (const f of files) {
      const seq = this.found.get(f).seq;
      const dir = seq && seqDirs.get(seq).size > 1 ? `${seq}/**` : dirOf(f);
      let g = byDir.get(dir);
      if (!g) byDir.set(dir, g = { kinds: /* @__PURE__ */ new Set(), bases: /* @__PURE__ */ new Set(), hows: /* @__PURE__ */ new Set(), files: [] });
      g.files.push(f);
      const how = this.found.get(f).how;
      const c = /\.php$/i.test(f) ? this.classCache.get(f) : void 0;
      if (c?.kind) {
        g.kinds.add(c.kind);
        g.bases.add(c.base);
      }
      if (!how.startsWith("base class")) g.hows.add(how);
    }
    const groups = [...byDir].map(([dir, g]) => {
      const parts = [...g.hows];
      if (g.kinds.size > 0) parts.unshift(describeKind(g.kinds, g.bases));
      return { dir, how: parts.join("; ") || "migrations", files: g.files };
    });
    const sequence = new Map(files.map((f) => [f, this.found.get(f).seq]));
    const skipped = [...this.skipped].map(([path, reason]) => ({ path, reason })).sort((a, b) => a.path < b.path ? -1 : 1);
    return { files, groups, skipped, sequence };
  }
};
function driverSequence(p) {
  if (!/\.sql$/i.test(p)) return "";
  const segs = dirOf(p).split("/");
  const i = segs.findIndex((s) => DRIVERS.test(s));
  return i < 0 ? "" : segs.slice(0, i + 1).join("/");
}
function describeDiscovery(d, max = 8) {
  const lines = d.groups.map((g) => `migrations: ${g.files.length} in ${g.dir.endsWith("**") ? g.dir : `${g.dir}/`} (${g.how})`);
  const bySkip = /* @__PURE__ */ new Map();
  for (const s of d.skipped) {
    const top = /^(?:.*?\/)?(vendor|node_modules|tests?|Tests|spec|fixtures?)\//.exec(s.path);
    const where = top && EXCLUDED.some((e) => e.reason === s.reason) ? s.path.slice(0, top.index + top[0].length - 1) : dirOf(s.path);
    const key = `${where}\0${s.reason}`;
    let l = bySkip.get(key);
    if (!l) bySkip.set(key, l = []);
    l.push(s.path);
  }
  let n = 0;
  for (const [key, ps] of bySkip) {
    if (n++ >= max) {
      lines.push(`migrations: \u2026 and ${bySkip.size - max} more skipped folders`);
      break;
    }
    const [dir, reason] = key.split("\0");
    const what = ps.length === 1 ? ps[0] : `${ps.length} files in ${dir}/`;
    lines.push(`migrations: skipped ${what}: ${reason}`);
  }
  return lines;
}

// src/migrations/schema.ts
var TYPES = {
  tinyint: { family: "int", size: 1 },
  int1: { family: "int", size: 1, base: "tinyint" },
  bool: { family: "int", size: 1, base: "tinyint" },
  boolean: { family: "int", size: 1, base: "tinyint" },
  smallint: { family: "int", size: 2 },
  int2: { family: "int", size: 2, base: "smallint" },
  mediumint: { family: "int", size: 3 },
  int3: { family: "int", size: 3, base: "mediumint" },
  middleint: { family: "int", size: 3, base: "mediumint" },
  int: { family: "int", size: 4 },
  integer: { family: "int", size: 4, base: "int" },
  int4: { family: "int", size: 4, base: "int" },
  bigint: { family: "int", size: 8 },
  int8: { family: "int", size: 8, base: "bigint" },
  smallserial: { family: "int", size: 2, base: "smallint", auto: true },
  serial2: { family: "int", size: 2, base: "smallint", auto: true },
  serial: { family: "int", size: 4, base: "int", auto: true },
  serial4: { family: "int", size: 4, base: "int", auto: true },
  bigserial: { family: "int", size: 8, base: "bigint", auto: true },
  serial8: { family: "int", size: 8, base: "bigint", auto: true },
  decimal: { family: "decimal" },
  numeric: { family: "decimal", base: "decimal" },
  dec: { family: "decimal", base: "decimal" },
  fixed: { family: "decimal", base: "decimal" },
  float: { family: "float", size: 4 },
  float4: { family: "float", size: 4, base: "float" },
  real: { family: "float", size: 4, base: "float" },
  double: { family: "float", size: 8 },
  float8: { family: "float", size: 8, base: "double" },
  char: { family: "string", size: 1 },
  character: { family: "string", size: 1, base: "char" },
  nchar: { family: "string", size: 1, base: "char" },
  bpchar: { family: "string", size: 1, base: "char" },
  varchar: { family: "string", size: Infinity },
  nvarchar: { family: "string", size: Infinity, base: "varchar" },
  varchar2: { family: "string", size: Infinity, base: "varchar" },
  tinytext: { family: "string", size: 255 },
  text: { family: "string", size: 65535 },
  mediumtext: { family: "string", size: 16777215 },
  longtext: { family: "string", size: 4294967295 },
  citext: { family: "string", size: Infinity },
  clob: { family: "string", size: 4294967295 },
  binary: { family: "binary", size: 1 },
  varbinary: { family: "binary", size: Infinity },
  tinyblob: { family: "binary", size: 255 },
  blob: { family: "binary", size: 65535 },
  mediumblob: { family: "binary", size: 16777215 },
  longblob: { family: "binary", size: 4294967295 },
  bytea: { family: "binary", size: Infinity },
  date: { family: "date" },
  datetime: { family: "datetime", size: 0 },
  timestamp: { family: "timestamp", size: 0 },
  timestamptz: { family: "timestamp", size: 0 },
  time: { family: "time", size: 0 },
  timetz: { family: "time", size: 0 },
  year: { family: "year" },
  json: { family: "json" },
  jsonb: { family: "json" },
  enum: { family: "enum" },
  set: { family: "set" }
};
function typeDef(name, args = [], opts = {}) {
  const lower = name.toLowerCase();
  const info = TYPES[lower];
  const def = {
    base: info?.base ?? lower,
    family: info?.family ?? "other",
    nullable: true,
    hasDefault: false,
    auto: info?.auto ?? false,
    ...info?.size !== void 0 ? { size: info.size } : {}
  };
  const nums = args.filter((a) => typeof a === "number");
  switch (def.family) {
    case "string":
    case "binary":
      if (nums[0] !== void 0 && (def.base === "char" || def.base === "varchar" || def.base === "binary" || def.base === "varbinary")) def.size = nums[0];
      if (nums[0] !== void 0 && (def.base === "text" || def.base === "blob")) def.size = Math.max(nums[0], 0) || def.size;
      break;
    case "decimal":
      def.precision = nums[0] ?? (args.length === 0 && def.base === "decimal" && lower === "numeric" ? Infinity : 10);
      def.scale = nums[1] ?? 0;
      break;
    case "float":
      if (def.base === "float" && nums[0] !== void 0 && nums[0] > 24) {
        def.base = "double";
        def.size = 8;
      }
      break;
    case "datetime":
    case "timestamp":
    case "time":
      if (nums[0] !== void 0) def.size = nums[0];
      break;
    case "enum":
    case "set":
      def.values = args.map(String);
      break;
    case "other":
      if (args.length > 0) def.args = args.join(",");
      break;
  }
  return { ...def, ...opts };
}
function describeType(d) {
  const b = d.base.toUpperCase();
  let s;
  if (d.family === "enum" || d.family === "set") s = `${b}(${(d.values ?? []).map((v) => `'${v}'`).join(",")})`;
  else if (d.family === "decimal") s = d.precision === Infinity ? b : `${b}(${d.precision},${d.scale})`;
  else if ((d.base === "char" || d.base === "varchar" || d.base === "binary" || d.base === "varbinary") && d.size !== Infinity) s = `${b}(${d.size})`;
  else if ((d.family === "datetime" || d.family === "timestamp" || d.family === "time") && d.size) s = `${b}(${d.size})`;
  else if (d.args) s = `${b}(${d.args})`;
  else s = b;
  return d.unsigned ? `${s} UNSIGNED` : s;
}
function intDigits(size, unsigned) {
  return { 1: 3, 2: 5, 3: unsigned ? 8 : 7, 4: 10, 8: unsigned ? 20 : 19 }[size] ?? 20;
}
function narrowing(old, nw) {
  const what = `${describeType(old)} \u2192 ${describeType(nw)}`;
  if (old.family === nw.family) {
    switch (nw.family) {
      case "int": {
        const os = old.size ?? 4;
        const ns = nw.size ?? 4;
        if (ns < os) return what;
        if (!old.unsigned && nw.unsigned) return `${what} (negative values no longer fit)`;
        if (old.unsigned && !nw.unsigned && ns <= os) return what;
        return void 0;
      }
      case "decimal": {
        const oi = (old.precision ?? 10) - (old.scale ?? 0);
        const ni = (nw.precision ?? 10) - (nw.scale ?? 0);
        if (ni < oi || (nw.scale ?? 0) < (old.scale ?? 0)) return what;
        if (!old.unsigned && nw.unsigned) return what;
        return void 0;
      }
      case "float":
        return (nw.size ?? 8) < (old.size ?? 8) ? what : void 0;
      case "string":
      case "binary":
        return (nw.size ?? Infinity) < (old.size ?? Infinity) ? what : void 0;
      case "datetime":
      case "time":
      case "timestamp":
        if (old.base !== nw.base) return what;
        return (nw.size ?? 0) < (old.size ?? 0) ? what : void 0;
      case "enum":
      case "set": {
        const missing = (old.values ?? []).filter((v) => !(nw.values ?? []).includes(v));
        return missing.length > 0 ? `${what} (drops ${missing.map((v) => `'${v}'`).join(", ")})` : void 0;
      }
      case "date":
      case "year":
      case "json":
        return void 0;
      default:
        return old.base !== nw.base || (old.args ?? "") !== (nw.args ?? "") ? what : void 0;
    }
  }
  if (old.family === "date" && nw.family === "datetime") return void 0;
  if (old.family === "int" && nw.family === "decimal") {
    return (nw.precision ?? 10) - (nw.scale ?? 0) >= intDigits(old.size ?? 4, !!old.unsigned) && !(nw.unsigned && !old.unsigned) ? void 0 : what;
  }
  if (old.family === "int" && nw.family === "float") return (old.size ?? 4) <= 4 && (nw.size ?? 8) === 8 ? void 0 : what;
  if (old.family === "enum" && nw.family === "string") {
    const longest = Math.max(0, ...(old.values ?? []).map((v) => v.length));
    return (nw.size ?? Infinity) >= longest ? void 0 : what;
  }
  if (nw.family === "string") {
    const need = old.family === "int" ? intDigits(old.size ?? 4, !!old.unsigned) + 1 : old.family === "decimal" ? (old.precision ?? 10) + 2 : old.family === "float" ? 25 : old.family === "date" || old.family === "year" ? 10 : old.family === "datetime" || old.family === "timestamp" || old.family === "time" ? 26 : old.family === "json" ? 4294967295 : Infinity;
    if ((nw.size ?? Infinity) >= need) return void 0;
  }
  if (old.family === "timestamp" && nw.family === "datetime" && old.base === "timestamp") {
    return (nw.size ?? 0) >= (old.size ?? 0) ? void 0 : what;
  }
  return what;
}
function nullabilityBreak(old, nw) {
  if (nw.nullable || nw.hasDefault || nw.auto) return void 0;
  if (old === void 0) return "NOT NULL without a default";
  if (old.nullable) return "NULL \u2192 NOT NULL without a default";
  if (old.hasDefault) return "removes the default of a NOT NULL column";
  return void 0;
}
function unquoteSqlString(s) {
  const q = s[0];
  if (q !== "'") return s;
  return s.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, "$1");
}
function parseSqlColumnDef(t) {
  let k = 0;
  const first = t[k];
  if (!first || first.type !== "word") return void 0;
  let name = first.up.toLowerCase();
  k++;
  if (name === "national" && t[k]?.type === "word") name = t[k++].up.toLowerCase();
  if (name === "long" && (t[k]?.up === "VARCHAR" || t[k]?.up === "VARBINARY")) {
    name = t[k++].up === "VARCHAR" ? "mediumtext" : "mediumblob";
  }
  if (name === "double" && t[k]?.up === "PRECISION") k++;
  if ((name === "character" || name === "char" || name === "nchar") && t[k]?.up === "VARYING") {
    name = "varchar";
    k++;
  }
  if (name === "bit" && t[k]?.up === "VARYING") {
    name = "varbit";
    k++;
  }
  const args = [];
  if (t[k]?.text === "(" && t[k]?.type === "punct") {
    let depth = 0;
    for (; k < t.length; k++) {
      const tk = t[k];
      if (tk.text === "(" && tk.type === "punct") depth++;
      else if (tk.text === ")" && tk.type === "punct") {
        if (--depth === 0) {
          k++;
          break;
        }
      } else if (depth === 1 && tk.type === "number") args.push(Number(tk.text));
      else if (depth === 1 && tk.type === "string") args.push(unquoteSqlString(tk.text));
    }
  }
  if ((name === "timestamp" || name === "time") && (t[k]?.up === "WITH" || t[k]?.up === "WITHOUT") && t[k + 1]?.up === "TIME") {
    if (t[k].up === "WITH") name = name === "timestamp" ? "timestamptz" : "timetz";
    k += 3;
  }
  let isArray = false;
  while (t[k]?.text === "[" && t[k + 1]?.text === "]") {
    isArray = true;
    k += 2;
  }
  if (isArray) name += "[]";
  const def = typeDef(name, args);
  if (name === "varchar" && args.length === 0) def.size = Infinity;
  applyColumnAttributes(t, k, def);
  return def;
}
function applyColumnAttributes(t, from, def) {
  let explicitNull;
  let primary = false;
  let depth = 0;
  for (let k = from; k < t.length; k++) {
    const tk = t[k];
    if (tk.type === "punct" && tk.text === "(") depth++;
    else if (tk.type === "punct" && tk.text === ")") depth--;
    if (depth > 0 || tk.type !== "word") continue;
    switch (tk.up) {
      case "UNSIGNED":
      case "ZEROFILL":
        def.unsigned = true;
        break;
      case "NOT":
        if (t[k + 1]?.up === "NULL") {
          explicitNull = false;
          k++;
        }
        break;
      case "NULL":
        explicitNull = true;
        break;
      case "DEFAULT":
        def.hasDefault = true;
        if (t[k + 1]?.up === "NULL") k++;
        break;
      case "AUTO_INCREMENT":
      case "AUTOINCREMENT":
      case "IDENTITY":
      case "GENERATED":
      case "SERIAL":
        def.auto = true;
        break;
      case "AS":
        if (t[k + 1]?.text === "(") def.auto = true;
        break;
      case "PRIMARY":
        primary = true;
        break;
      case "COMMENT":
      case "COLLATE":
        k++;
        break;
      case "ON":
        if (t[k + 1]?.up === "UPDATE") k += 2;
        break;
    }
  }
  def.nullable = explicitNull ?? !(primary || def.auto);
}
function normName(name) {
  if (name === void 0 || name === "") return void 0;
  return /[{$%?]/.test(name) ? name.replace(/,(?:true|false)\)/g, ")") : name.toLowerCase();
}
var SchemaModel = class {
  /** table → column → definition (null: the column exists, its definition is unknown). */
  tables = /* @__PURE__ */ new Map();
  /** Tables created by a migration of this release. */
  newTables = /* @__PURE__ */ new Set();
  /** `table.column` added by a migration of this release. */
  newColumns = /* @__PURE__ */ new Set();
  /** `table.column` the live release had and a migration of this release dropped → its definition. */
  dropped = /* @__PURE__ */ new Map();
  /** Tables (and SET columns) overwritten without WHERE by constants: version stamps. */
  stamps = /* @__PURE__ */ new Map();
  /** Live tables dropped to be rebuilt in the same migration → their columns (undefined: unknown). */
  rebuilds = /* @__PURE__ */ new Map();
  /** `copied`: the columns the copy names (a new column outside it gets no value from old rows). */
  beginRebuild(table, copied) {
    const cols = this.tables.get(table);
    this.rebuilds.set(table, { ...cols ? { before: new Map(cols) } : {}, ...copied ? { copied } : {} });
    this.dropTable(table);
  }
  isRebuilding(table) {
    return table !== void 0 && this.rebuilds.has(table);
  }
  takeRebuild(table) {
    const r = this.rebuilds.get(table) ?? {};
    this.rebuilds.delete(table);
    return r;
  }
  /** A rebuild that never finished in its migration is a plain drop. */
  endRebuilds() {
    this.rebuilds.clear();
  }
  columnsOf(table) {
    return table === void 0 ? void 0 : this.tables.get(table);
  }
  /** The table exists and was not created by this release. */
  isLiveTable(table) {
    return table !== void 0 && this.tables.has(table) && !this.newTables.has(table);
  }
  /** The column exists (a migration that ran before created it) and was not added by this release. */
  isLiveColumn(table, column) {
    if (table === void 0 || column === void 0) return false;
    return this.isLiveTable(table) && this.tables.get(table).has(column) && !this.newColumns.has(`${table}.${column}`);
  }
  /** The definition (null: unknown) of a live column this release dropped, or undefined. */
  droppedLive(table, column) {
    return this.dropped.get(`${table}.${column}`);
  }
  noteStamp(table, columns) {
    if (table === void 0) return;
    const key = `${table}:${[...columns].sort().join(",")}`;
    this.stamps.set(key, (this.stamps.get(key) ?? 0) + 1);
  }
  /**
   * Earlier migrations overwrote the same columns of this table with constants: twice, or once
   * when the column says it is a version (`db_rev`, `schema_version`): a stamp, not data.
   */
  isStamp(table, columns) {
    if (table === void 0) return false;
    const n = this.stamps.get(`${table}:${[...columns].sort().join(",")}`) ?? 0;
    return n >= 2 || n >= 1 && columns.length > 0 && columns.every((c) => /version|(?:^|_)rev(?:ision)?(?:$|_)|schema|stamp/i.test(c));
  }
  isNewTable(table) {
    return table !== void 0 && this.newTables.has(table);
  }
  isNewColumn(table, column) {
    if (table === void 0 || column === void 0) return false;
    return this.isNewTable(table) || this.newColumns.has(`${table}.${column}`);
  }
  column(table, column) {
    if (table === void 0 || column === void 0) return void 0;
    return this.tables.get(table)?.get(column) ?? void 0;
  }
  createTable(table, columns, inRelease) {
    if (table === void 0) return;
    this.tables.set(table, new Map(columns));
    if (inRelease) this.newTables.add(table);
    else this.newTables.delete(table);
  }
  dropTable(table) {
    if (table === void 0) return;
    this.tables.delete(table);
    this.newTables.delete(table);
    for (const c of [...this.newColumns]) if (c.startsWith(`${table}.`)) this.newColumns.delete(c);
  }
  renameTable(from, to) {
    if (from === void 0 || to === void 0) return;
    const cols = this.tables.get(from);
    const wasNew = this.newTables.has(from);
    this.dropTable(from);
    if (cols) this.tables.set(to, cols);
    if (wasNew) this.newTables.add(to);
  }
  setColumn(table, column, def, added) {
    if (table === void 0 || column === void 0) return;
    let cols = this.tables.get(table);
    if (!cols) this.tables.set(table, cols = /* @__PURE__ */ new Map());
    cols.set(column, def);
    if (added?.inRelease) this.newColumns.add(`${table}.${column}`);
    else if (added) this.newColumns.delete(`${table}.${column}`);
  }
  dropColumn(table, column, by) {
    if (table === void 0 || column === void 0) return;
    if (by?.inRelease && !this.isNewColumn(table, column)) this.dropped.set(`${table}.${column}`, this.column(table, column) ?? null);
    this.tables.get(table)?.delete(column);
    this.newColumns.delete(`${table}.${column}`);
  }
  renameColumn(table, from, to) {
    if (table === void 0 || from === void 0 || to === void 0) return;
    const cols = this.tables.get(table);
    const def = cols?.get(from);
    const wasNew = this.newColumns.has(`${table}.${from}`);
    this.dropColumn(table, from);
    if (cols) cols.set(to, def ?? null);
    if (wasNew) this.newColumns.add(`${table}.${to}`);
  }
};

// src/migrations/rules.ts
var RULES = Object.freeze({
  "drop-table": "DROP TABLE, Schema::drop/dropIfExists, $schema->dropTable",
  "drop-view": "DROP VIEW / DROP MATERIALIZED VIEW (use CREATE OR REPLACE VIEW)",
  "drop-database": "DROP DATABASE",
  "drop-schema": "DROP SCHEMA",
  truncate: "TRUNCATE, ->truncate()",
  "rename-table": "RENAME TABLE, ALTER TABLE \u2026 RENAME TO, Schema::rename, $schema->renameTable",
  "drop-column": "ALTER TABLE \u2026 DROP [COLUMN], ->dropColumn(s), dropTimestamps/dropSoftDeletes/\u2026",
  "rename-column": "ALTER TABLE \u2026 RENAME COLUMN / CHANGE a b, ->renameColumn",
  "narrow-column": "MODIFY/CHANGE/ALTER COLUMN TYPE/->change() to a type that holds fewer values",
  "not-null": "a column made NOT NULL without a default",
  "drop-default": "ALTER COLUMN \u2026 DROP DEFAULT of a NOT NULL column",
  "modify-column": "a column change whose current definition no earlier migration or down() shows",
  "add-column-not-null": "a new NOT NULL column without a default on an existing table",
  "delete-without-where": "DELETE without WHERE, DB::table(\u2026)->delete() without where",
  "update-without-where": "UPDATE without WHERE (except backfilling columns added in this release, and version stamps)",
  "dynamic-sql": "SQL built at run time (a variable, a function result) that php-deploy cannot read",
  "marker-without-reason": "a php-deploy: allow-destructive marker without a reason",
  "misplaced-marker": "a php-deploy: allow-destructive-file marker after line 20"
});
var CANNOT_VOUCH = /* @__PURE__ */ new Set(["modify-column", "dynamic-sql"]);
function verdictOf(rule) {
  return CANNOT_VOUCH.has(rule) ? "cannot-vouch" : "destructive";
}
function relaxes(op) {
  if (op.kind === "modify-column" && (op.how === "set-default" || op.how === "drop-not-null")) return op;
  if (op.kind === "modify-column" && op.how === "define" && op.def && (op.def.hasDefault || op.def.nullable)) return op;
  if (op.kind === "alter-column" && (op.set.hasDefault === true || op.set.nullable === true)) return op;
  return void 0;
}
function tightens(op) {
  if (op.kind === "modify-column" || op.kind === "alter-column" || op.kind === "add-column") return op;
  return void 0;
}
var LOST = "a rollback cannot bring the data back";
function tbl(t) {
  return t ?? "(a table)";
}
function col(t, c) {
  return t === void 0 ? c ?? "(a column)" : `${t}.${c ?? "(a column)"}`;
}
var BOOKKEEPING = /(?:^|_)(?:version|versions|schema_?version|db_?version|dbversion|schema_?info|schema_?migrations?|migration_?versions?|revision)$/i;
function isBookkeeping(table) {
  return table !== void 0 && BOOKKEEPING.test(table.replace(/[`"[\]]/g, ""));
}
function replaces(table, from, to, schema, hit) {
  const was = schema.droppedLive(table, to);
  if (was === void 0) return;
  const now = schema.column(table, from);
  const name = col(table, to);
  if (!was || !now) {
    hit("modify-column", `replaces ${name} (dropped above) with ${col(table, from)}, and no earlier migration shows both definitions: if the new one is narrower or NOT NULL, the live release breaks`);
    return;
  }
  const narrow = narrowing(was, now);
  if (narrow) hit("narrow-column", `replaces ${name} with ${col(table, from)}, which is narrower (${narrow}): values the live release writes may no longer fit`);
  const nb = nullabilityBreak(was, now);
  if (nb) hit("not-null", `replaces ${name} with ${col(table, from)} (${nb}): inserts from the live release that leave it out fail`);
}
function rebuilt(table, rebuild, after, schema, ctx, hit) {
  const { before, copied } = rebuild;
  if (!before) {
    hit("modify-column", `rebuilds table ${table}, whose current definition no earlier migration shows: if a column is left out, narrowed or made NOT NULL, the live release breaks`);
  } else {
    const dropped = [...before.keys()].filter((c) => !after.has(c));
    if (dropped.length > 0) {
      hit("drop-column", `rebuilds table ${table} without ${dropped.map((c) => `${table}.${c}`).join(", ")}: the live release still reads and writes ${dropped.length > 1 ? "them" : "it"}, and ${LOST}`);
    }
    for (const [c, d] of after) {
      const was = before.get(c);
      if (d && was) judge(col(table, c), was, d, hit);
      else if (d && !before.has(c) && copied !== void 0 && !copied.includes(c) && !d.nullable && !d.hasDefault && !d.auto) {
        hit("add-column-not-null", `rebuilds table ${table} with a new NOT NULL column ${c} without a default: inserts from the live release, which does not know the column, fail`);
      }
    }
  }
  schema.createTable(table, after, false);
  for (const c of after.keys()) if (before && !before.has(c)) schema.setColumn(table, c, after.get(c) ?? null, { inRelease: ctx.inRelease });
}
function tableOp(op, schema, ctx, hit) {
  switch (op.kind) {
    case "create-table":
      if (ctx.inRelease && !op.temporary && schema.isLiveTable(op.table)) break;
      if (op.table !== void 0 && schema.isRebuilding(op.table)) {
        rebuilt(op.table, schema.takeRebuild(op.table), new Map(op.columns), schema, ctx, hit);
        break;
      }
      schema.createTable(op.table, op.columns, ctx.inRelease || !!op.temporary);
      break;
    case "copy-into":
      break;
    case "drop-table": {
      for (const r of op.rebuild ?? []) if (!schema.isNewTable(r.table)) schema.beginRebuild(r.table, r.copied);
      const old = op.tables.filter((t) => !schema.isNewTable(t) && !schema.isRebuilding(t));
      if (old.length > 0) {
        const names = old.map(tbl).join(", ");
        if (op.view) hit("drop-view", `drops view ${names}: the live release may still read it; redefine a view with CREATE OR REPLACE VIEW`);
        else hit("drop-table", `drops table${old.length > 1 ? "s" : ""} ${names}: the live release still reads and writes ${old.length > 1 ? "them" : "it"}, and ${LOST}`);
      }
      for (const t of op.tables) if (!schema.isRebuilding(t)) schema.dropTable(t);
      break;
    }
    case "drop-database":
      hit(op.schema ? "drop-schema" : "drop-database", `drops ${op.schema ? "schema" : "database"} ${op.name ?? ""}: every table in it is gone for the live release, and ${LOST}`.replace("  ", " "));
      break;
    case "truncate": {
      const old = op.tables.filter((t) => !schema.isNewTable(t));
      if (old.length > 0) hit("truncate", `deletes every row of ${old.map(tbl).join(", ")}: ${LOST}`);
      break;
    }
    case "rename-table":
      if (op.to !== void 0 && schema.isRebuilding(op.to) && schema.isNewTable(op.from)) {
        rebuilt(op.to, schema.takeRebuild(op.to), schema.columnsOf(op.from) ?? /* @__PURE__ */ new Map(), schema, ctx, hit);
        schema.dropTable(op.from);
        break;
      }
      if (!schema.isNewTable(op.from)) {
        hit("rename-table", `renames table ${tbl(op.from)} to ${op.to ?? "(a new name)"}: the live release still uses the old name`);
      }
      schema.renameTable(op.from, op.to);
      break;
  }
}
function evaluate(op, schema, ctx) {
  const hits = [];
  const hit = (rule, message) => {
    hits.push({ rule, message });
  };
  switch (op.kind) {
    case "create-table":
    case "copy-into":
    case "drop-table":
    case "drop-database":
    case "truncate":
    case "rename-table":
      tableOp(op, schema, ctx, hit);
      break;
    case "add-column": {
      if (schema.isLiveColumn(op.table, op.column)) break;
      const d = op.def;
      if (d && !d.nullable && !d.hasDefault && !d.auto && !schema.isNewTable(op.table)) {
        hit(
          "add-column-not-null",
          `adds ${col(op.table, op.column)} as NOT NULL without a default: inserts from the live release, which does not know the column, fail; make it nullable or give it a default`
        );
      }
      schema.setColumn(op.table, op.column, d ?? null, { inRelease: ctx.inRelease });
      break;
    }
    case "drop-column": {
      if (op.columns.length === 0) {
        if (!schema.isNewTable(op.table)) hit("drop-column", `drops columns of ${tbl(op.table)}: the live release still reads and writes them, and ${LOST}`);
        break;
      }
      const old = op.columns.filter((c) => !schema.isNewColumn(op.table, c));
      if (old.length > 0) {
        const names = old.map((c) => col(op.table, c)).join(", ");
        hit("drop-column", `drops column${old.length > 1 ? "s" : ""} ${names}: the live release still reads and writes ${old.length > 1 ? "them" : "it"}, and ${LOST}`);
      }
      for (const c of op.columns) schema.dropColumn(op.table, c, { inRelease: ctx.inRelease });
      break;
    }
    case "rename-column":
      if (!schema.isNewColumn(op.table, op.from)) {
        hit("rename-column", `renames column ${col(op.table, op.from)} to ${op.to ?? "(a new name)"}: the live release still uses the old name`);
      } else if (ctx.inRelease) replaces(op.table, op.from, op.to, schema, hit);
      schema.renameColumn(op.table, op.from, op.to);
      break;
    case "modify-column":
      modify(op, schema, ctx, hit);
      break;
    case "alter-column":
      alter(op, schema, ctx, hit);
      break;
    case "dynamic-sql":
      hit("dynamic-sql", `runs SQL built at run time (${op.call}): php-deploy cannot read it, so it cannot vouch for it; if it only adds, allow it with the marker`);
      break;
    case "delete-all":
      if (!schema.isNewTable(op.table) && !isBookkeeping(op.table)) hit("delete-without-where", `deletes every row of ${tbl(op.table)} (no WHERE): ${LOST}`);
      break;
    case "update-all": {
      const backfill = op.columns.length > 0 && op.columns.every((c) => schema.isNewColumn(op.table, c));
      const stamp = op.constant === true && (isBookkeeping(op.table) || schema.isStamp(op.table, op.columns));
      if (op.constant) schema.noteStamp(op.table, op.columns);
      if (!backfill && !stamp && !schema.isNewTable(op.table)) {
        const cols = op.columns.length > 0 ? op.columns.join(", ") : "columns";
        hit("update-without-where", `overwrites ${cols} in every row of ${tbl(op.table)} (no WHERE): the values the live release wrote are gone, and a rollback cannot restore them`);
      }
      break;
    }
  }
  return hits;
}
function newColumnNullability(name, old, nw, hit) {
  if (nw.nullable || nw.hasDefault || nw.auto) return;
  if (old && !old.nullable && !old.hasDefault && !old.auto) return;
  hit(
    old && !old.nullable ? "drop-default" : "not-null",
    `makes ${name} NOT NULL without a default; the column is new in this release, so inserts from the live release, which leave it out, fail`
  );
}
function modify(op, schema, ctx, hit) {
  const { table, column } = op;
  const name = col(table, column);
  const isNew = schema.isNewColumn(table, column);
  const addedToLive = isNew && !schema.isNewTable(table) && ctx.inRelease;
  const old = schema.column(table, column) ?? ctx.downDef(table, column);
  const renamed = op.newName !== void 0 && op.newName !== column;
  if (!isNew && renamed) {
    hit("rename-column", `renames column ${name} to ${op.newName}: the live release still uses the old name`);
  } else if (isNew && renamed && ctx.inRelease) replaces(table, column, op.newName, schema, hit);
  let next = null;
  switch (op.how) {
    case "define": {
      const d = op.def;
      if (!d) {
        if (!isNew) {
          hit("modify-column", `changes ${column === void 0 ? "a column" : name}: php-deploy cannot tell the old or the new definition; if this narrows its type or makes it NOT NULL, the live release breaks; if it only widens, allow it with the marker`);
        }
        break;
      }
      next = d;
      if (addedToLive) newColumnNullability(name, old, d, hit);
      if (isNew) break;
      if (!old) {
        hit(
          "modify-column",
          `changes ${name} (to ${describeType(d)}${d.nullable ? "" : " NOT NULL"}), whose current definition no earlier migration or down() shows: if this narrows its type or makes it NOT NULL, the live release breaks; if it only widens, allow it with the marker`
        );
        break;
      }
      judge(name, old, d, hit);
      break;
    }
    case "type":
      if (op.def) next = retype(name, old, op.def, isNew, hit);
      break;
    case "set-not-null":
      next = old ? { ...old, nullable: false } : null;
      if (addedToLive && old) newColumnNullability(name, old, next, hit);
      else if (addedToLive) hit("not-null", `makes ${name} NOT NULL; the column is new in this release, so inserts from the live release, which leave it out, fail unless it has a default`);
      else if (!isNew && (!old || old.nullable && !old.hasDefault && !old.auto)) {
        hit("not-null", `makes ${name} NOT NULL${old ? " (it has no default)" : ""}: inserts from the live release that leave it out or set NULL fail`);
      }
      break;
    case "set-default":
      next = old ? { ...old, hasDefault: true } : null;
      break;
    case "drop-not-null":
      next = old ? { ...old, nullable: true } : null;
      break;
    case "drop-default":
      next = old ? { ...old, hasDefault: false } : null;
      if (addedToLive && old && !old.nullable) {
        hit("drop-default", `removes the default of ${name}, a NOT NULL column new in this release: inserts from the live release, which leave it out, fail`);
      } else if (!isNew && !(old && old.nullable)) {
        hit("drop-default", `removes the default of ${name}: inserts from the live release that leave it out fail if it is NOT NULL`);
      }
      break;
  }
  const target = renamed ? op.newName : column;
  if (renamed) schema.renameColumn(table, column, op.newName);
  if (next) schema.setColumn(table, target, next);
  else if (!old) schema.setColumn(table, target, null);
}
function retype(name, old, d, isNew, hit) {
  const next = { ...d, nullable: old?.nullable ?? true, hasDefault: old?.hasDefault ?? false, auto: old?.auto ?? false };
  if (isNew) return next;
  if (!old) {
    hit(
      "modify-column",
      `changes the type of ${name} to ${describeType(d)}, whose current type no earlier migration or down() shows: if this narrows it, the live release breaks; if it only widens, allow it with the marker`
    );
    return next;
  }
  const narrow = narrowing(old, d);
  if (narrow) hit("narrow-column", `narrows ${name} (${narrow}): values the live release writes may no longer fit`);
  return next;
}
function judge(name, old, d, hit) {
  const narrow = narrowing(old, d);
  if (narrow) hit("narrow-column", `narrows ${name} (${narrow}): values the live release writes may no longer fit`);
  const nb = nullabilityBreak(old, d);
  if (nb && old.nullable) hit("not-null", `makes ${name} NOT NULL without a default: inserts from the live release that leave it out or set NULL fail`);
  else if (nb) hit("drop-default", `removes the default of NOT NULL column ${name}: inserts from the live release that leave it out fail`);
}
function applyPartial(old, set) {
  const base = set.type ? { ...set.type, nullable: old.nullable, hasDefault: old.hasDefault, auto: old.auto } : { ...old };
  if (set.size !== void 0) base.size = set.size;
  if (set.precision !== void 0) base.precision = set.precision;
  if (set.scale !== void 0) base.scale = set.scale;
  if (set.unsigned !== void 0) base.unsigned = set.unsigned;
  if (set.nullable !== void 0) base.nullable = set.nullable;
  if (set.hasDefault !== void 0) base.hasDefault = set.hasDefault;
  return base;
}
function alter(op, schema, ctx, hit) {
  const { table, column, set } = op;
  const name = col(table, column);
  const isNew = schema.isNewColumn(table, column);
  const unreadable = [set.size, set.precision, set.scale].some((n) => n !== void 0 && Number.isNaN(n));
  const old = unreadable ? void 0 : schema.column(table, column) ?? ctx.downDef(table, column);
  const typeChange = set.type !== void 0 || set.size !== void 0 || set.precision !== void 0 || set.scale !== void 0 || set.unsigned !== void 0;
  if (old) {
    const next = applyPartial(old, set);
    if (isNew && !schema.isNewTable(table) && ctx.inRelease) newColumnNullability(name, old, next, hit);
    else if (!isNew) judge(name, old, next, hit);
    schema.setColumn(table, column, next);
    return;
  }
  if (isNew) return;
  if (set.nullable === false && set.hasDefault !== true) {
    hit("not-null", `makes ${name} NOT NULL (setNotnull(true)) without a default: inserts from the live release that leave it out or set NULL fail`);
  }
  if (typeChange) {
    const what = set.type ? `the type of ${name} to ${describeType(set.type)}` : set.size !== void 0 ? `the length of ${name} to ${Number.isNaN(set.size) ? "a computed value" : set.size}` : `the precision or sign of ${name}`;
    hit("modify-column", `changes ${what}, whose current definition no earlier migration or down() shows: if this narrows it, the live release breaks; if it only widens, allow it with the marker`);
  }
  schema.setColumn(table, column, null);
}

// src/migrations/markers.ts
var MARKER = "php-deploy: allow-destructive";
var FILE_MARKER = "php-deploy: allow-destructive-file";
var FILE_MARKER_LINES = 20;
var MARKER_RE = /php-deploy:\s*allow-destructive(-file)?(?![\w-])([^\n]*)/gi;
function reasonOf(rest) {
  const r = rest.replace(/\*+\/.*$/, "").replace(/-->.*$/, "").trim().replace(/^[:=\-–—]+/, "").trim();
  return /[\p{L}\p{N}]/u.test(r) ? r : void 0;
}
function markersIn(comments) {
  const out = [];
  for (const c of comments) {
    const lines = c.text.split("\n");
    lines.forEach((lineText, k) => {
      MARKER_RE.lastIndex = 0;
      let m;
      while (m = MARKER_RE.exec(lineText)) {
        const reason = reasonOf(m[2]);
        out.push({ layer: c.layer, line: c.line + k, file: m[1] !== void 0, text: m[0].trim(), ...reason ? { reason } : {} });
      }
    });
  }
  return out;
}
function covers(line, scope, lines) {
  if (line >= scope.start && line <= scope.end) return true;
  if (line > scope.start || !lines) return false;
  if (lines.code.has(line)) return false;
  for (let l = line + 1; l < scope.start; l++) {
    if (lines.code.has(l) || !lines.comment.has(l)) return false;
  }
  return true;
}
function applyMarkers(path, hits, comments, layers) {
  const markers = markersIn(comments);
  const findings = [];
  const fileMarker = markers.find((m) => m.file && m.reason !== void 0 && m.line <= FILE_MARKER_LINES);
  for (const h of hits) {
    let reason = fileMarker?.reason;
    if (reason === void 0) {
      const m = markers.find(
        (mk) => !mk.file && mk.reason !== void 0 && h.scopes.some((s) => s.layer === mk.layer && covers(mk.line, s, layers.get(mk.layer)))
      );
      reason = m?.reason;
    }
    findings.push({
      path,
      line: h.line,
      statement: h.statement,
      rule: h.rule,
      verdict: verdictOf(h.rule),
      message: h.message,
      ...reason !== void 0 ? { allowed: { reason } } : {}
    });
  }
  for (const m of markers) {
    if (m.reason === void 0) {
      findings.push({
        path,
        line: m.line,
        statement: m.text.slice(0, 160),
        rule: "marker-without-reason",
        verdict: "destructive",
        message: `"${m.file ? FILE_MARKER : MARKER}" needs a reason after it (e.g. "${m.file ? FILE_MARKER : MARKER} users.legacy_flag is unused since 2.3"); without one it allows nothing`
      });
    } else if (m.file && m.line > FILE_MARKER_LINES) {
      findings.push({
        path,
        line: m.line,
        statement: m.text.slice(0, 160),
        rule: "misplaced-marker",
        verdict: "destructive",
        message: `"${FILE_MARKER}" counts only in the first ${FILE_MARKER_LINES} lines of the file; move it up, or use "${MARKER} <reason>" at the statement`
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

// src/migrations/frameworks.ts
var num = (a, dflt) => a?.num ?? dflt;
var LARAVEL_COLUMN_METHODS = new Set(
  [
    "string",
    "char",
    "text",
    "tinyText",
    "mediumText",
    "longText",
    "integer",
    "tinyInteger",
    "smallInteger",
    "mediumInteger",
    "bigInteger",
    "unsignedInteger",
    "unsignedTinyInteger",
    "unsignedSmallInteger",
    "unsignedMediumInteger",
    "unsignedBigInteger",
    "increments",
    "tinyIncrements",
    "smallIncrements",
    "mediumIncrements",
    "integerIncrements",
    "bigIncrements",
    "id",
    "boolean",
    "decimal",
    "unsignedDecimal",
    "float",
    "double",
    "unsignedFloat",
    "unsignedDouble",
    "date",
    "dateTime",
    "dateTimeTz",
    "timestamp",
    "timestampTz",
    "time",
    "timeTz",
    "year",
    "json",
    "jsonb",
    "uuid",
    "ulid",
    "ipAddress",
    "macAddress",
    "binary",
    "enum",
    "set",
    "foreignId",
    "foreignIdFor",
    "foreignUuid",
    "foreignUlid",
    "morphs",
    "nullableMorphs",
    "uuidMorphs",
    "nullableUuidMorphs",
    "ulidMorphs",
    "nullableUlidMorphs",
    "numericMorphs",
    "nullableNumericMorphs",
    "timestamps",
    "timestampsTz",
    "nullableTimestamps",
    "datetimes",
    "softDeletes",
    "softDeletesTz",
    "softDeletesDatetime",
    "rememberToken",
    "geometry",
    "geography",
    "point",
    "lineString",
    "polygon",
    "geometryCollection",
    "multiPoint",
    "multiLineString",
    "multiPolygon",
    "vector",
    "addColumn"
  ].map((s) => s.toLowerCase())
);
function laravelType(type, args) {
  const t = type.toLowerCase();
  const a1 = args[1];
  switch (t) {
    case "string":
      return typeDef("varchar", [num(a1, 255)]);
    case "char":
      return typeDef("char", [num(a1, 255)]);
    case "text":
    case "tinytext":
    case "mediumtext":
    case "longtext":
      return typeDef(t);
    case "integer":
    case "tinyinteger":
    case "smallinteger":
    case "mediuminteger":
    case "biginteger":
    case "unsignedinteger":
    case "unsignedtinyinteger":
    case "unsignedsmallinteger":
    case "unsignedmediuminteger":
    case "unsignedbiginteger": {
      const base = t.replace("unsigned", "").replace("integer", "") || "int";
      const unsigned = t.startsWith("unsigned") || args[2]?.bool === true;
      return typeDef(base === "int" ? "int" : `${base}int`, [], { unsigned, auto: a1?.bool === true });
    }
    case "increments":
    case "integerincrements":
      return typeDef("int", [], { unsigned: true, auto: true, nullable: false });
    case "tinyincrements":
    case "smallincrements":
    case "mediumincrements":
    case "bigincrements":
    case "id":
      return typeDef(t === "id" ? "bigint" : `${t.replace("increments", "")}int`, [], { unsigned: true, auto: true, nullable: false });
    case "boolean":
      return typeDef("tinyint", [1]);
    case "decimal":
    case "unsigneddecimal":
      return typeDef("decimal", [num(a1, 8), num(args[2], 2)], { unsigned: t.startsWith("unsigned") });
    case "float":
    case "unsignedfloat":
      return typeDef("float", [num(a1, 53)], { unsigned: t.startsWith("unsigned") });
    case "double":
    case "unsigneddouble":
      return typeDef("double", [], { unsigned: t.startsWith("unsigned") });
    case "date":
    case "year":
    case "json":
    case "jsonb":
      return typeDef(t);
    case "datetime":
    case "datetimetz":
      return typeDef("datetime", [num(a1, 0)]);
    case "timestamp":
    case "timestamptz":
      return typeDef("timestamp", [num(a1, 0)]);
    case "time":
    case "timetz":
      return typeDef("time", [num(a1, 0)]);
    case "uuid":
    case "foreignuuid":
      return typeDef("char", [36]);
    case "ulid":
    case "foreignulid":
      return typeDef("char", [26]);
    case "ipaddress":
      return typeDef("varchar", [45]);
    case "macaddress":
      return typeDef("varchar", [17]);
    case "binary":
      return a1?.num !== void 0 ? typeDef(args[2]?.bool ? "binary" : "varbinary", [a1.num]) : typeDef("blob");
    case "enum":
    case "set":
      return typeDef(t, a1?.strings ?? []);
    case "foreignid":
    case "foreignidfor":
      return typeDef("bigint", [], { unsigned: true });
    default:
      return typeDef(t);
  }
}
function laravelColumns(method, args, mods) {
  const m = method.toLowerCase();
  const name = args[0]?.str;
  const ts = (n, type, nullable2 = true) => ({ name: n, def: typeDef(type, [num(args[0], 0)], { nullable: nullable2 }) });
  switch (m) {
    case "timestamps":
    case "timestampstz":
    case "nullabletimestamps":
      return [ts("created_at", "timestamp"), ts("updated_at", "timestamp")];
    case "datetimes":
      return [ts("created_at", "datetime"), ts("updated_at", "datetime")];
    case "softdeletes":
    case "softdeletestz":
    case "softdeletesdatetime":
      return [{ name: name ?? "deleted_at", def: typeDef(m === "softdeletesdatetime" ? "datetime" : "timestamp", [num(args[1], 0)], { nullable: true }) }];
    case "remembertoken":
      return [{ name: "remember_token", def: typeDef("varchar", [100], { nullable: true }) }];
    case "morphs":
    case "nullablemorphs":
    case "uuidmorphs":
    case "nullableuuidmorphs":
    case "ulidmorphs":
    case "nullableulidmorphs":
    case "numericmorphs":
    case "nullablenumericmorphs": {
      const nullable2 = m.startsWith("nullable");
      const id = m.includes("uuid") ? typeDef("char", [36]) : m.includes("ulid") ? typeDef("char", [26]) : typeDef("bigint", [], { unsigned: true });
      return [
        { name: name && `${name}_type`, def: typeDef("varchar", [255], { nullable: nullable2 }) },
        { name: name && `${name}_id`, def: { ...id, nullable: nullable2 } }
      ].map((d) => d.name === void 0 ? { def: d.def } : { name: d.name, def: d.def });
    }
  }
  let def;
  let colName = name;
  if (m === "addcolumn") {
    def = laravelType(args[0]?.str ?? "other", [args[1] ?? { strings: [], raw: "" }]);
    colName = args[1]?.str;
  } else if (m === "id") {
    def = laravelType("id", args);
    colName = name ?? "id";
  } else if (m === "foreignidfor") {
    def = laravelType(m, args);
    colName = args[1]?.str;
  } else if (m === "ipaddress" || m === "macaddress") {
    def = laravelType(m, args);
    colName = name ?? (m === "ipaddress" ? "ip_address" : "mac_address");
  } else {
    def = laravelType(m, args);
  }
  if (!def.auto) def.nullable = false;
  const nullable = mods.get("nullable");
  if (nullable) def.nullable = nullable[0]?.bool !== false;
  if (mods.has("default") || mods.has("usecurrent")) def.hasDefault = true;
  if (mods.has("autoincrement") || mods.has("storedas") || mods.has("virtualas") || mods.has("generatedas")) def.auto = true;
  if (mods.has("unsigned")) def.unsigned = true;
  if (mods.has("primary")) def.nullable = false;
  return [colName === void 0 ? { def } : { name: colName, def }];
}
function doctrineColumn(type, optionsRaw, chainRaw) {
  const opt = (key) => new RegExp(`['"]${key}['"]\\s*=>\\s*([^,\\]\\)]+)`, "i").exec(optionsRaw)?.[1]?.trim();
  const n = (key) => {
    const v = opt(key);
    return v !== void 0 && /^\d+$/.test(v) ? Number(v) : void 0;
  };
  const t = (type ?? "").toLowerCase();
  let def;
  switch (t) {
    case "string":
    case "ascii_string":
      def = typeDef(opt("fixed") === "true" ? "char" : "varchar", [n("length") ?? 255]);
      break;
    case "text":
    case "simple_array":
    case "array":
    case "object":
      def = typeDef("longtext");
      break;
    case "integer":
      def = typeDef("int");
      break;
    case "bigint":
    case "smallint":
    case "date":
    case "time":
    case "json":
    case "blob":
      def = typeDef(t);
      break;
    case "boolean":
      def = typeDef("tinyint", [1]);
      break;
    case "decimal":
      def = typeDef("decimal", [n("precision") ?? 10, n("scale") ?? 0]);
      break;
    case "float":
      def = typeDef("double");
      break;
    case "smallfloat":
      def = typeDef("float");
      break;
    case "datetime":
    case "datetime_immutable":
    case "datetimetz":
    case "datetimetz_immutable":
      def = typeDef("datetime");
      break;
    case "date_immutable":
      def = typeDef("date");
      break;
    case "guid":
      def = typeDef("char", [36]);
      break;
    case "binary":
      def = typeDef("varbinary", [n("length") ?? 255]);
      break;
    default:
      def = typeDef(t || "unknown");
  }
  if (opt("unsigned") === "true") def.unsigned = true;
  def.nullable = opt("notnull") === "false" || /->\s*setNotnull\s*\(\s*false\s*\)/i.test(chainRaw);
  def.hasDefault = opt("default") !== void 0 || /->\s*setDefault\s*\(/i.test(chainRaw);
  def.auto = opt("autoincrement") === "true" || /->\s*setAutoincrement\s*\(\s*true\s*\)/i.test(chainRaw);
  return def;
}
function dbalTypeName(raw) {
  const lit = /^['"]([\w]+)['"]$/.exec(raw.trim())?.[1];
  if (lit) return lit.toLowerCase();
  const konst = /Types?::([A-Z_]+)/.exec(raw)?.[1];
  if (konst && konst !== "getType") return konst.toLowerCase().replace(/_mutable$/, "");
  const inner = /getType\s*\(\s*['"](\w+)['"]/.exec(raw)?.[1];
  if (inner) return inner.toLowerCase();
  const cls = /new\s+\\?(?:[\w\\]*\\)?(\w+)Type\b/.exec(raw)?.[1];
  return cls?.toLowerCase();
}
function typeOnly(name, length) {
  const d = doctrineColumn(name, length !== void 0 ? `'length' => ${length}` : "", "");
  return d;
}
function partialFromSetters(calls) {
  const set = {};
  let any = false;
  for (const c of calls) {
    const a = c.args[0];
    switch (c.name.toLowerCase()) {
      case "setlength":
        if (a?.num !== void 0) set.size = a.num;
        else set.size = NaN;
        any = true;
        break;
      case "setnotnull":
        set.nullable = a?.bool === false;
        any = true;
        break;
      case "setdefault":
        set.hasDefault = a !== void 0 && !/^null$/i.test(a.raw);
        any = true;
        break;
      case "setprecision":
        set.precision = a?.num ?? NaN;
        any = true;
        break;
      case "setscale":
        set.scale = a?.num ?? NaN;
        any = true;
        break;
      case "setunsigned":
        set.unsigned = a?.bool === true;
        any = true;
        break;
      case "settype": {
        const n = a ? dbalTypeName(a.raw) : void 0;
        set.type = typeOnly(n ?? "unknown");
        any = true;
        break;
      }
      case "setoptions": {
        const o = a ? partialFromOptions(a.raw) : void 0;
        if (o) {
          Object.assign(set, o);
          any = true;
        }
        break;
      }
    }
  }
  if (set.type && set.size !== void 0 && !Number.isNaN(set.size)) set.type = typeOnly(set.type.base === "varchar" ? "string" : set.type.base, set.size);
  return any ? set : void 0;
}
function partialFromOptions(raw) {
  const opt = (key) => new RegExp(`['"]${key}['"]\\s*=>\\s*([^,\\]\\)]+(?:\\([^()]*\\))?)`, "i").exec(raw)?.[1]?.trim();
  const calls = [];
  const arg = (v) => ({
    strings: [],
    raw: v,
    .../^-?\d+$/.test(v) ? { num: Number(v) } : {},
    .../^(?:true|false)$/i.test(v) ? { bool: v.toLowerCase() === "true" } : {}
  });
  for (const [key, setter] of [["type", "setType"], ["length", "setLength"], ["notnull", "setNotnull"], ["default", "setDefault"], ["precision", "setPrecision"], ["scale", "setScale"], ["unsigned", "setUnsigned"]]) {
    const v = opt(key);
    if (v !== void 0) calls.push({ name: setter, args: [arg(v)] });
  }
  return calls.length > 0 ? partialFromSetters(calls) : void 0;
}

// src/migrations/php-lex.ts
var ID_START = /[A-Za-z_\x80-\uffff]/;
var ID_CHAR = /[A-Za-z0-9_\x80-\uffff]/;
function blank(chars, from, to) {
  for (let i = from; i < to; i++) if (chars[i] !== "\n" && chars[i] !== "\r") chars[i] = " ";
}
function braceEnd(src, open2, limit) {
  let depth = 0;
  for (let i = open2; i < limit; i++) {
    const ch = src[i];
    if (ch === "'" || ch === '"') {
      const q = ch;
      for (i++; i < limit && src[i] !== q; i++) if (src[i] === "\\") i++;
    } else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i + 1;
  }
  return limit;
}
var SIMPLE_ESCAPES = { n: "\n", t: "	", r: "\r", v: "\v", e: "\x1B", f: "\f", "\\": "\\", $: "$" };
function decodeInterpolated(src, from, limit, closer) {
  let value = "";
  const map = [];
  const put = (s, at) => {
    value += s;
    for (let k = 0; k < s.length; k++) map.push(at);
  };
  let i = from;
  while (i < limit) {
    const ch = src[i];
    if (closer !== void 0 && ch === closer) break;
    if (ch === "\\" && i + 1 < limit) {
      const nx = src[i + 1];
      if (nx in SIMPLE_ESCAPES) {
        put(SIMPLE_ESCAPES[nx], i);
        i += 2;
      } else if (closer !== void 0 && nx === closer) {
        put(nx, i);
        i += 2;
      } else if (/[0-7]/.test(nx)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))[0];
        put(String.fromCharCode(parseInt(m, 8) & 255), i);
        i += 1 + m.length;
      } else if (nx === "x" && /[0-9A-Fa-f]/.test(src[i + 2] ?? "")) {
        const m = /^[0-9A-Fa-f]{1,2}/.exec(src.slice(i + 2, i + 4))[0];
        put(String.fromCharCode(parseInt(m, 16)), i);
        i += 2 + m.length;
      } else if (nx === "u" && src[i + 2] === "{") {
        const close = src.indexOf("}", i + 3);
        const cp = close > 0 ? parseInt(src.slice(i + 3, close), 16) : NaN;
        if (Number.isFinite(cp) && cp <= 1114111) {
          put(String.fromCodePoint(cp), i);
          i = close + 1;
        } else {
          put("\\", i);
          i++;
        }
      } else {
        put("\\", i);
        i++;
      }
    } else if (ch === "$" && ID_START.test(src[i + 1] ?? "")) {
      let j = i + 1;
      while (j < limit && ID_CHAR.test(src[j])) j++;
      if (src[j] === "[") {
        const close = src.indexOf("]", j);
        if (close > 0 && close < limit) j = close + 1;
      } else if (src[j] === "-" && src[j + 1] === ">" && ID_START.test(src[j + 2] ?? "")) {
        j += 2;
        while (j < limit && ID_CHAR.test(src[j])) j++;
      }
      put(`{${src.slice(i, j)}}`, i);
      i = j;
    } else if (ch === "{" && src[i + 1] === "$" || ch === "$" && src[i + 1] === "{") {
      const open2 = ch === "{" ? i : i + 1;
      const end = braceEnd(src, open2, limit);
      const inner = src.slice(open2 + 1, end - 1);
      put(`{${ch === "{" ? inner : `$${inner}`}}`, i);
      i = end;
    } else {
      put(ch, i);
      i++;
    }
  }
  return { value, map, stop: i };
}
function lexPhp(src) {
  const n = src.length;
  const masked = src.split("");
  const decommented = src.split("");
  const strings = [];
  const comments = [];
  let i = 0;
  const html = () => {
    const open2 = /<\?(?:php\b|=)?/gi;
    open2.lastIndex = i;
    const m = open2.exec(src);
    const to = m ? m.index + m[0].length : n;
    blank(masked, i, to);
    blank(decommented, i, to);
    i = to;
  };
  html();
  while (i < n) {
    const ch = src[i];
    const nx = src[i + 1];
    if (ch === "?" && nx === ">") {
      blank(masked, i, i + 2);
      i += 2;
      html();
    } else if (ch === "#" && nx !== "[" || ch === "/" && nx === "/") {
      let j = i;
      while (j < n && src[j] !== "\n" && !(src[j] === "?" && src[j + 1] === ">")) j++;
      comments.push({ start: i, end: j, text: src.slice(i, j) });
      blank(masked, i, j);
      blank(decommented, i, j);
      i = j;
    } else if (ch === "/" && nx === "*") {
      const close = src.indexOf("*/", i + 2);
      const j = close < 0 ? n : close + 2;
      comments.push({ start: i, end: j, text: src.slice(i, j) });
      blank(masked, i, j);
      blank(decommented, i, j);
      i = j;
    } else if (ch === "'") {
      let value = "";
      const map = [];
      let j = i + 1;
      while (j < n && src[j] !== "'") {
        if (src[j] === "\\" && (src[j + 1] === "\\" || src[j + 1] === "'")) {
          value += src[j + 1];
          map.push(j);
          j += 2;
        } else {
          value += src[j];
          map.push(j);
          j++;
        }
      }
      const end = Math.min(j + 1, n);
      strings.push({ start: i, end, kind: "single", value, map });
      blank(masked, i + 1, end - 1);
      i = end;
    } else if (ch === '"' || ch === "`") {
      const d = decodeInterpolated(src, i + 1, n, ch);
      const end = Math.min(d.stop + 1, n);
      strings.push({ start: i, end, kind: ch === '"' ? "double" : "shell", value: d.value, map: d.map });
      blank(masked, i + 1, end - 1);
      masked[i] = "'";
      if (end - 1 > i) masked[end - 1] = "'";
      i = end;
    } else if (ch === "<" && src.startsWith("<<<", i)) {
      const head = /<<<[ \t]*(?:"([A-Za-z_\x80-\uffff][\w\x80-\uffff]*)"|'([A-Za-z_\x80-\uffff][\w\x80-\uffff]*)'|([A-Za-z_\x80-\uffff][\w\x80-\uffff]*))\r?\n/y;
      head.lastIndex = i;
      const m = head.exec(src);
      if (!m) {
        i += 3;
        continue;
      }
      const label = m[1] ?? m[2] ?? m[3];
      const nowdoc = m[2] !== void 0;
      const bodyStart = i + m[0].length;
      const closeRe = new RegExp(`[ \\t]*${label}(?![A-Za-z0-9_\\x80-\\uffff])`, "y");
      let lineStart = bodyStart;
      let bodyEnd = n;
      let end = n;
      while (lineStart <= n) {
        closeRe.lastIndex = lineStart;
        const c = closeRe.exec(src);
        if (c) {
          bodyEnd = Math.max(bodyStart, lineStart - 1);
          if (bodyEnd > bodyStart && src[bodyEnd - 1] === "\r") bodyEnd--;
          end = lineStart + c[0].length;
          break;
        }
        const nl = src.indexOf("\n", lineStart);
        if (nl < 0) break;
        lineStart = nl + 1;
      }
      let value;
      let map;
      if (nowdoc) {
        value = src.slice(bodyStart, bodyEnd);
        map = Array.from({ length: value.length }, (_, k) => bodyStart + k);
      } else {
        ({ value, map } = decodeInterpolated(src, bodyStart, bodyEnd, void 0));
      }
      strings.push({ start: i, end, kind: nowdoc ? "nowdoc" : "heredoc", label, value, map });
      blank(masked, i, end);
      masked[i] = "'";
      masked[end - 1] = "'";
      i = end;
    } else {
      i++;
    }
  }
  return { src, masked: masked.join(""), decommented: decommented.join(""), strings, comments };
}

// src/migrations/sql-lex.ts
var WORD_START = /[\p{L}_@]/u;
var WORD_CHAR = /[\p{L}\p{N}_$@]/u;
function wordEnd(text, i, delim = ";") {
  let j = i;
  while (j < text.length) {
    if (j > i && delim !== ";" && text.startsWith(delim, j)) break;
    if (text[j] === "{") {
      let depth = 0;
      for (; j < text.length; j++) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}" && --depth === 0) break;
      }
      j++;
    } else if (WORD_CHAR.test(text[j])) j++;
    else break;
  }
  return Math.min(j, text.length);
}
function atLineStart(text, i) {
  let k = i - 1;
  while (k >= 0 && (text[k] === " " || text[k] === "	")) k--;
  return k < 0 || text[k] === "\n";
}
function lexSql(text, opts = {}) {
  const n = text.length;
  const tokens2 = [];
  const comments = [];
  let delim = ";";
  let execComment = false;
  let i = 0;
  const push = (type, s, e, t = text.slice(s, e)) => {
    tokens2.push({ type, text: t, up: type === "word" ? t.toUpperCase() : "", s, e });
  };
  const atStatementStart = () => tokens2.length === 0 || tokens2.at(-1).type === "end";
  while (i < n) {
    const ch = text[i];
    const nx = text[i + 1] ?? "";
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if ((ch === "d" || ch === "D") && atStatementStart() && atLineStart(text, i)) {
      const m = /DELIMITER[ \t]+(\S+)[^\n]*/iy;
      m.lastIndex = i;
      const d = m.exec(text);
      if (d) {
        delim = d[1];
        push("end", i, i + d[0].length, "");
        i += d[0].length;
        continue;
      }
    }
    if (delim !== ";" && text.startsWith(delim, i)) {
      push("end", i, i + delim.length);
      i += delim.length;
      continue;
    }
    if (ch === "-" && nx === "-" || ch === "#") {
      let j = i;
      while (j < n && text[j] !== "\n") j++;
      comments.push({ s: i, e: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === "/" && nx === "*") {
      if (text[i + 2] === "!" || text[i + 2] === "+") {
        execComment = true;
        i += 3;
        while (i < n && /\d/.test(text[i])) i++;
        continue;
      }
      const close = text.indexOf("*/", i + 2);
      const j = close < 0 ? n : close + 2;
      comments.push({ s: i, e: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === "*" && nx === "/" && execComment) {
      execComment = false;
      i += 2;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      while (j < n) {
        if (text[j] === "\\") j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      const e = Math.min(j + 1, n);
      push("string", i, e);
      i = e;
      continue;
    }
    if (ch === '"' || ch === "`") {
      let j = i + 1;
      let name = "";
      while (j < n) {
        if (text[j] === ch && text[j + 1] === ch) {
          name += ch;
          j += 2;
        } else if (text[j] === ch) break;
        else name += text[j++];
      }
      const e = Math.min(j + 1, n);
      push("qident", i, e, name);
      i = e;
      continue;
    }
    if (ch === "[" && /^\[[A-Za-z_][\w ]*\]/.test(text.slice(i, i + 130))) {
      const e = text.indexOf("]", i) + 1;
      push("qident", i, e, text.slice(i + 1, e - 1));
      i = e;
      continue;
    }
    if (ch === "$") {
      const dq = /\$([A-Za-z_]\w*)?\$/y;
      dq.lastIndex = i;
      const m = dq.exec(text);
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        const e = close < 0 ? n : close + m[0].length;
        push("string", i, e);
        i = e;
        continue;
      }
      const v = /\$(?:\d+|[A-Za-z_]\w*(?:->[A-Za-z_]\w*)*)/y;
      v.lastIndex = i;
      const mv = v.exec(text);
      if (mv) {
        push("ph", i, i + mv[0].length);
        i += mv[0].length;
        continue;
      }
    }
    if (ch === "{") {
      const e = wordEnd(text, i, delim);
      push("ph", i, e);
      i = e;
      continue;
    }
    if (ch === "?") {
      push("ph", i, i + 1);
      i++;
      continue;
    }
    if (ch === ":" && nx === ":") {
      push("punct", i, i + 2);
      i += 2;
      continue;
    }
    if (ch === ":" && /[A-Za-z_]/.test(nx)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j])) j++;
      push("ph", i, j);
      i = j;
      continue;
    }
    if (opts.php && ch === "%") {
      const m = /%(?:\d+\$)?[-+ 0']*\d*(?:\.\d+)?[bcdeEfFgGosuxX]/y;
      m.lastIndex = i;
      const pm = m.exec(text);
      if (pm) {
        push("ph", i, i + pm[0].length);
        i += pm[0].length;
        continue;
      }
    }
    if (/\d/.test(ch) || ch === "." && /\d/.test(nx)) {
      const m = /(?:0x[0-9A-Fa-f]+|\d*\.?\d+(?:[eE][-+]?\d+)?)/y;
      m.lastIndex = i;
      const nm = m.exec(text);
      let e = i + nm[0].length;
      if (e < n && WORD_CHAR.test(text[e]) && !/[eE]/.test(text[e])) {
        while (e < n && WORD_CHAR.test(text[e])) e++;
        push("word", i, e);
      } else push("number", i, e);
      i = e;
      continue;
    }
    if (WORD_START.test(ch)) {
      const j = wordEnd(text, i, delim);
      const w = text.slice(i, j);
      push(ch === "@" || w.includes("{") ? "ph" : "word", i, j);
      i = j;
      continue;
    }
    if (ch === ";" && delim === ";") {
      push("end", i, i + 1);
      i++;
      continue;
    }
    push("punct", i, i + 1);
    i++;
  }
  return { text, tokens: tokens2, comments, statements: splitStatements(tokens2) };
}
function isCompound(tokens2) {
  if (tokens2[0]?.up !== "CREATE") return false;
  for (let k = 1; k < Math.min(tokens2.length, 12); k++) {
    const u = tokens2[k].up;
    if (u === "TRIGGER" || u === "PROCEDURE" || u === "FUNCTION" || u === "EVENT") return true;
    if (u === "TABLE" || u === "VIEW" || u === "INDEX" || u === "AS") return false;
  }
  return false;
}
function splitStatements(tokens2) {
  const out = [];
  let cur = [];
  let depth = 0;
  const flush = () => {
    if (cur.length > 0) out.push({ tokens: cur, s: cur[0].s, e: cur.at(-1).e });
    cur = [];
    depth = 0;
  };
  for (let k = 0; k < tokens2.length; k++) {
    const t = tokens2[k];
    if (t.type === "end") {
      if (t.text === "" || depth <= 0 || !isCompound(cur)) flush();
      else cur.push({ ...t, type: "punct" });
      continue;
    }
    cur.push(t);
    if (isCompound(cur)) {
      if (t.up === "BEGIN" || t.up === "CASE" && tokens2[k - 1]?.up !== "END") depth++;
      else if (t.up === "END") {
        const after = tokens2[k + 1]?.up;
        if (after !== "IF" && after !== "LOOP" && after !== "WHILE" && after !== "REPEAT") depth--;
      }
    }
  }
  flush();
  return out;
}

// src/migrations/scan-sql.ts
var isName = (t) => t !== void 0 && (t.type === "word" || t.type === "qident" || t.type === "ph" || t.type === "string");
var isPunct = (t, p) => t !== void 0 && t.type === "punct" && t.text === p;
function readName(t, k) {
  if (!isName(t[k])) return { next: k };
  let last = t[k];
  let j = k + 1;
  while (isPunct(t[j], ".") && isName(t[j + 1])) {
    last = t[j + 1];
    j += 2;
  }
  const raw = last.type === "string" ? last.text.slice(1, -1) : last.text;
  return { name: normName(raw), next: j };
}
function splitTop(t, sep2 = ",") {
  const out = [];
  let cur = [];
  let depth = 0;
  for (const tk of t) {
    if (tk.type === "punct" && (tk.text === "(" || tk.text === "[")) depth++;
    else if (tk.type === "punct" && (tk.text === ")" || tk.text === "]")) depth--;
    if (depth === 0 && tk.type === "punct" && tk.text === sep2) {
      out.push(cur);
      cur = [];
    } else cur.push(tk);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
function findTop(t, words, from = 0) {
  let depth = 0;
  for (let k = from; k < t.length; k++) {
    const tk = t[k];
    if (isPunct(tk, "(")) depth++;
    else if (isPunct(tk, ")")) depth--;
    else if (depth === 0 && words.includes(tk.up)) return k;
  }
  return -1;
}
function skipIf(t, k) {
  if (t[k]?.up !== "IF") return k;
  if (t[k + 1]?.up === "EXISTS") return k + 2;
  if (t[k + 1]?.up === "NOT" && t[k + 2]?.up === "EXISTS") return k + 3;
  return k;
}
function nameList(t, k) {
  const names = [];
  for (const part of splitTop(t.slice(k))) {
    const { name } = readName(part, 0);
    if (name !== void 0) names.push(name);
  }
  return names;
}
var NOT_A_COLUMN = /* @__PURE__ */ new Set([
  "INDEX",
  "KEY",
  "PRIMARY",
  "FOREIGN",
  "CONSTRAINT",
  "CHECK",
  "PARTITION",
  "UNIQUE",
  "FULLTEXT",
  "SPATIAL",
  "SYSTEM",
  "PERIOD",
  "EXCLUDE"
]);
function columnList(inner) {
  const cols = [];
  for (const part of splitTop(inner)) {
    if (part.length === 0 || NOT_A_COLUMN.has(part[0].up) || part[0].up === "LIKE") continue;
    const { name, next } = readName(part, 0);
    if (name === void 0) continue;
    cols.push([name, parseSqlColumnDef(part.slice(next))]);
  }
  return cols;
}
function parenthesized(t, k) {
  if (!isPunct(t[k], "(")) return void 0;
  let depth = 0;
  for (let j = k; j < t.length; j++) {
    if (isPunct(t[j], "(")) depth++;
    else if (isPunct(t[j], ")") && --depth === 0) return { inner: t.slice(k + 1, j), next: j + 1 };
  }
  return { inner: t.slice(k + 1), next: t.length };
}
function alterTable(t) {
  let k = 1;
  while (t[k]?.up === "ONLINE" || t[k]?.up === "OFFLINE" || t[k]?.up === "IGNORE") k++;
  if (t[k]?.up !== "TABLE") return [];
  k = skipIf(t, k + 1);
  if (t[k]?.up === "ONLY") k++;
  const { name: table, next } = readName(t, k);
  k = next;
  if (isPunct(t[k], "*")) k++;
  return splitTop(t.slice(k)).flatMap((spec) => alterSpec(spec, table));
}
function alterSpec(s, table) {
  const ops = [];
  const head = s[0];
  if (!head) return ops;
  const at = head.s;
  const add = (op, where = at) => {
    ops.push({ op, at: where });
  };
  let i = 1;
  switch (head.up) {
    case "ADD": {
      const colKw = s[i]?.up === "COLUMN";
      if (colKw) i++;
      i = skipIf(s, i);
      const list = parenthesized(s, i);
      if (list) {
        for (const [column, def] of columnList(list.inner)) add({ kind: "add-column", table, column, ...def ? { def } : {} });
      } else if (colKw || !NOT_A_COLUMN.has(s[i]?.up ?? "")) {
        const { name: column, next: j } = readName(s, i);
        if (column === void 0) break;
        const def = parseSqlColumnDef(s.slice(j));
        add({ kind: "add-column", table, column, ...def ? { def } : {} });
      }
      break;
    }
    case "DROP": {
      const colKw = s[i]?.up === "COLUMN";
      if (colKw) i++;
      else if (NOT_A_COLUMN.has(s[i]?.up ?? "") || s[i]?.up === "DEFAULT") break;
      i = skipIf(s, i);
      const { name: column } = readName(s, i);
      if (column !== void 0) add({ kind: "drop-column", table, columns: [column] });
      break;
    }
    case "MODIFY":
    case "CHANGE": {
      if (s[i]?.up === "COLUMN") i++;
      i = skipIf(s, i);
      const { name: column, next: j } = readName(s, i);
      if (column === void 0) break;
      let newName;
      let defFrom = j;
      if (head.up === "CHANGE") {
        const r = readName(s, j);
        newName = r.name;
        defFrom = r.next;
      }
      const def = parseSqlColumnDef(s.slice(defFrom));
      add({ kind: "modify-column", table, column, how: "define", ...newName !== void 0 ? { newName } : {}, ...def ? { def } : {} });
      break;
    }
    case "ALTER": {
      if (NOT_A_COLUMN.has(s[i]?.up ?? "")) break;
      if (s[i]?.up === "COLUMN") i++;
      const { name: column, next: j } = readName(s, i);
      if (column === void 0) break;
      const a = s[j]?.up;
      const b = s[j + 1]?.up;
      if (a === "DROP" && b === "DEFAULT") add({ kind: "modify-column", table, column, how: "drop-default" }, s[j].s);
      else if (a === "SET" && b === "NOT" && s[j + 2]?.up === "NULL") add({ kind: "modify-column", table, column, how: "set-not-null" }, s[j].s);
      else if (a === "SET" && b === "DEFAULT" && s[j + 2]?.up !== "NULL") add({ kind: "modify-column", table, column, how: "set-default" }, s[j].s);
      else if (a === "DROP" && b === "NOT" && s[j + 2]?.up === "NULL") add({ kind: "modify-column", table, column, how: "drop-not-null" }, s[j].s);
      else if (a === "TYPE" || a === "SET" && b === "DATA" && s[j + 2]?.up === "TYPE") {
        const def = parseSqlColumnDef(s.slice(a === "TYPE" ? j + 1 : j + 3));
        add({ kind: "modify-column", table, column, how: "type", ...def ? { def } : {} });
      }
      break;
    }
    case "RENAME": {
      const op = renameOp(s, i, table);
      if (op) add(op);
      break;
    }
  }
  return ops;
}
function renameOp(s, i, table) {
  const w = s[i]?.up;
  if (w === "TO" || w === "AS") return { kind: "rename-table", from: table, to: readName(s, i + 1).name };
  if (w === "COLUMN") {
    const from = readName(s, i + 1);
    return { kind: "rename-column", table, from: from.name, to: readName(s, from.next + 1).name };
  }
  if (w === "INDEX" || w === "KEY" || w === "CONSTRAINT") return void 0;
  const first = readName(s, i);
  if (s[first.next]?.up === "TO") return { kind: "rename-column", table, from: first.name, to: readName(s, first.next + 1).name };
  return { kind: "rename-table", from: table, to: first.name };
}
function deleteStatement(t) {
  if (findTop(t, ["WHERE", "ON"]) >= 0) return [];
  const from = findTop(t, ["FROM"]);
  const { name: table } = readName(t, from >= 0 ? from + 1 : 1);
  return [{ op: { kind: "delete-all", table }, at: t[0].s }];
}
function isConstant(rhs) {
  return rhs.length > 0 && rhs.every((x) => x.type === "string" || x.type === "number" || x.type === "ph" || ["NULL", "TRUE", "FALSE"].includes(x.up) || x.type === "punct" && (x.text === "-" || x.text === "+"));
}
function updateStatement(t) {
  const set = findTop(t, ["SET"]);
  if (set < 0) return [];
  if (findTop(t, ["WHERE"]) >= 0 || findTop(t.slice(0, set), ["ON"]) >= 0) return [];
  let k = 1;
  while (["LOW_PRIORITY", "IGNORE", "ONLY"].includes(t[k]?.up ?? "")) k++;
  const { name: table } = readName(t, k);
  let end = findTop(t, ["FROM", "ORDER", "LIMIT", "RETURNING"], set + 1);
  if (end < 0) end = t.length;
  const columns = [];
  let constant = true;
  for (const a of splitTop(t.slice(set + 1, end))) {
    const eq = a.findIndex((x) => isPunct(x, "="));
    const lhs = a.slice(0, eq < 0 ? a.length : eq).filter(isName);
    const last = lhs.at(-1);
    if (last) columns.push(normName(last.text));
    if (eq < 0 || !isConstant(a.slice(eq + 1))) constant = false;
  }
  return [{ op: { kind: "update-all", table, columns, ...constant ? { constant } : {} }, at: t[0].s }];
}
function statementOps(stmt) {
  let t = stmt.tokens;
  if (t[0]?.up === "WITH") {
    const main = findTop(t, ["DELETE", "UPDATE", "INSERT", "SELECT", "MERGE"], 1);
    if (main < 0) return [];
    t = t.slice(main);
  }
  const first = t[0];
  if (!first) return [];
  const at = first.s;
  switch (first.up) {
    case "DROP": {
      let k = 1;
      if (t[k]?.up === "TEMPORARY" || t[k]?.up === "TEMP") return [];
      const what = t[k]?.up;
      if (what === "MATERIALIZED" && t[k + 1]?.up === "VIEW") k++;
      const kind = t[k]?.up;
      k = skipIf(t, k + 1);
      if (kind === "TABLE" || kind === "TABLES") return [{ op: { kind: "drop-table", tables: nameList(t, k) }, at }];
      if (kind === "VIEW") return [{ op: { kind: "drop-table", tables: nameList(t, k), view: true }, at }];
      if (kind === "DATABASE" || kind === "SCHEMA") {
        return [{ op: { kind: "drop-database", schema: kind === "SCHEMA", name: readName(t, k).name }, at }];
      }
      return [];
    }
    case "TRUNCATE": {
      let k = 1;
      if (t[k]?.up === "TABLE") k++;
      if (t[k]?.up === "ONLY") k++;
      return [{ op: { kind: "truncate", tables: nameList(t, k) }, at }];
    }
    case "RENAME": {
      if (t[1]?.up !== "TABLE" && t[1]?.up !== "TABLES") return [];
      return splitTop(t.slice(2)).map((pair) => {
        const from = readName(pair, 0);
        return { op: { kind: "rename-table", from: from.name, to: readName(pair, from.next + 1).name }, at };
      });
    }
    case "ALTER":
      return alterTable(t);
    case "DELETE":
      return deleteStatement(t);
    case "INSERT":
    case "REPLACE": {
      if (findTop(t, ["SELECT"]) < 0) return [];
      let k = 1;
      while (["IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "OR", "REPLACE", "ABORT", "FAIL", "ROLLBACK"].includes(t[k]?.up ?? "")) k++;
      if (t[k]?.up === "INTO") k++;
      const { name: table, next } = readName(t, k);
      const list = parenthesized(t, next);
      const columns = list ? splitTop(list.inner).map((p) => readName(p, 0).name).filter((c) => c !== void 0) : void 0;
      return [{ op: { kind: "copy-into", table, ...columns ? { columns } : {} }, at }];
    }
    case "UPDATE":
      return updateStatement(t);
    case "CREATE": {
      let k = 1;
      if (t[k]?.up === "OR" && t[k + 1]?.up === "REPLACE") k += 2;
      while (["GLOBAL", "LOCAL", "UNLOGGED"].includes(t[k]?.up ?? "")) k++;
      const temporary = t[k]?.up === "TEMPORARY" || t[k]?.up === "TEMP";
      if (temporary) k++;
      if (t[k]?.up !== "TABLE") return [];
      k = skipIf(t, k + 1);
      const { name: table, next } = readName(t, k);
      const list = parenthesized(t, next);
      const columns = list ? columnList(list.inner).map(([c, d]) => [c, d ?? null]) : [];
      return [{ op: { kind: "create-table", table, columns, ...temporary ? { temporary } : {} }, at }];
    }
    default:
      return [];
  }
}
function scanSqlText(text, opts = {}) {
  const lex = lexSql(text, opts);
  const items = [];
  for (const statement of lex.statements) {
    for (const o of statementOps(statement)) items.push({ ...o, statement });
  }
  return { lex, items };
}
function statementText(lex, stmt) {
  let s = "";
  let pos = stmt.s;
  for (const c of lex.comments) {
    if (c.e <= stmt.s || c.s >= stmt.e) continue;
    s += lex.text.slice(pos, c.s) + " ";
    pos = c.e;
  }
  s += lex.text.slice(pos, stmt.e);
  return s.replace(/\s+/g, " ").trim();
}

// src/migrations/types.ts
var LineIndex = class {
  starts = [0];
  constructor(text) {
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.starts.push(i + 1);
  }
  lineOf(offset) {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = lo + hi + 1 >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
};
function oneLine(s, max = 160) {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length <= max ? t : `${t.slice(0, max - 1).trimEnd()}\u2026`;
}

// src/migrations/scan-php.ts
var OPENERS = "([{";
var CLOSERS = ")]}";
var DOWN_METHODS = /^(?:down|predown|postdown|safedown)$/i;
var SQL_CALL = /(?:->|::)\s*(addSql|executeStatement|executeUpdate|executeQuery|exec|statement|unprepared|affectingStatement|delete|update|insert|select|execute|query)\s*\(/gi;
var SQL_START = /^(?:ALTER\s+(?:ONLINE\s+|OFFLINE\s+|IGNORE\s+)?TABLE|DROP\s+(?:TEMPORARY\s+)?(?:TABLE|DATABASE|SCHEMA|VIEW|MATERIALIZED\s+VIEW)|TRUNCATE|RENAME\s+TABLE|DELETE\s+FROM|UPDATE\s+\S+\s+SET|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE)\s/;
var DYNAMIC_CALL = /^(?:addSql|executeStatement|executeUpdate|exec|statement|unprepared)$/i;
function addRange(set, from, to) {
  for (let l = from; l <= to; l++) set.add(l);
}
var PhpScanner = class {
  constructor(src, lines) {
    this.lines = lines;
    this.lex = lexPhp(src);
    this.m = this.lex.masked;
    for (const s of this.lex.strings) this.stringAt.set(s.start, s);
    this.findBodies();
    this.phpLayer();
  }
  lines;
  lex;
  m;
  ops = [];
  comments = [];
  layers = /* @__PURE__ */ new Map();
  stringAt = /* @__PURE__ */ new Map();
  consumed = /* @__PURE__ */ new Set();
  /** Named function bodies: [open brace, close brace]. */
  bodies = [];
  /** Source ranges already judged by the Laravel/DB analyses (the generic pass skips them). */
  handled = [];
  sqlTexts = 0;
  // ---- helpers over the masked code --------------------------------------------------------
  matchClose(open2) {
    let depth = 0;
    const m = this.m;
    for (let i = open2; i < m.length; i++) {
      const c = m[i];
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c) && --depth === 0) return i;
    }
    return m.length;
  }
  nextNonWs(i) {
    while (i < this.m.length && /\s/.test(this.m[i])) i++;
    return i;
  }
  prevNonWs(i) {
    while (i >= 0 && /\s/.test(this.m[i])) i--;
    return i;
  }
  findBodies() {
    const re = /\bfunction\s+&?\s*([A-Za-z_\x80-\uffff][\w\x80-\uffff]*)\s*\(/g;
    let mt;
    while (mt = re.exec(this.m)) {
      const pClose = this.matchClose(mt.index + mt[0].length - 1);
      let i = pClose + 1;
      while (i < this.m.length && this.m[i] !== "{" && this.m[i] !== ";") i++;
      if (this.m[i] !== "{") continue;
      this.bodies.push({ name: mt[1], open: i, close: this.matchClose(i) });
    }
  }
  inDown(at) {
    return this.bodies.some((b) => DOWN_METHODS.test(b.name) && at > b.open && at < b.close);
  }
  isHandled(at) {
    return this.handled.some(([a, b]) => at >= a && at < b);
  }
  /** Start of the innermost statement containing `at`. */
  stmtStart(at) {
    let depth = 0;
    const m = this.m;
    for (let i = at - 1; i >= 0; i--) {
      const c = m[i];
      if (c === ")" || c === "]") depth++;
      else if (c === "(" || c === "[") {
        if (depth > 0) depth--;
      } else if (depth === 0 && (c === ";" || c === "{" || c === "}")) return this.nextNonWs(i + 1);
    }
    return this.nextNonWs(0);
  }
  /** End (exclusive) of the statement containing `at` (the counterpart of stmtStart). */
  stmtEnd(at) {
    let depth = 0;
    const m = this.m;
    for (let i = at; i < m.length; i++) {
      const c = m[i];
      if (OPENERS.includes(c)) depth++;
      else if (c === "}" && depth === 0) return i;
      else if (CLOSERS.includes(c)) {
        if (depth > 0) depth--;
        if (c === "}" && depth === 0) {
          const nx = this.nextNonWs(i + 1);
          if (m[nx] === ";") return nx + 1;
          if (!")],.-".includes(m[nx] ?? "") && !/^(?:else|elseif|catch|finally|while)\b/.test(m.slice(nx, nx + 8))) return i + 1;
        }
      } else if (c === ";" && depth === 0) return i + 1;
    }
    return m.length;
  }
  /** The statement directly in the innermost named function body that contains `at`. */
  outerStatement(at) {
    let body;
    for (const b of this.bodies) if (at > b.open && at < b.close && (!body || b.open > body.open)) body = b;
    if (!body) return void 0;
    let spans = this.topCache.get(body.open);
    if (!spans) this.topCache.set(body.open, spans = this.topStatements(body));
    return spans.find(([s, e]) => at >= s && at < e);
  }
  topCache = /* @__PURE__ */ new Map();
  /** The statements directly in a function body. */
  topStatements(body) {
    const spans = [];
    const m = this.m;
    let i = body.open + 1;
    while (i < body.close) {
      i = this.nextNonWs(i);
      if (i >= body.close) break;
      const s = i;
      let depth = 0;
      for (; i < body.close; i++) {
        const c = m[i];
        if (OPENERS.includes(c)) depth++;
        else if (CLOSERS.includes(c)) {
          depth--;
          if (depth === 0 && c === "}") {
            const nx = this.nextNonWs(i + 1);
            if (m[nx] === ";") {
              i = nx;
              break;
            }
            if (/^(?:else|elseif|catch|finally|while)\b/.test(m.slice(nx, nx + 8)) || ")],.-".includes(m[nx] ?? "")) continue;
            break;
          }
        } else if (c === ";" && depth === 0) break;
      }
      const e = Math.min(i + 1, body.close);
      spans.push([s, e]);
      i = e;
    }
    return spans;
  }
  /** PHP-layer scopes and the statement text for code at `at`. */
  place(at) {
    const s = this.stmtStart(at);
    const e = Math.max(this.stmtEnd(at), s + 1);
    const scopes = [{ layer: "php", start: this.lines.lineOf(s), end: this.lines.lineOf(e - 1) }];
    const outer = this.outerStatement(at);
    if (outer && (outer[0] !== s || outer[1] !== e)) {
      const first = this.lines.lineOf(outer[0]);
      scopes.push({ layer: "php", start: first, end: first });
    }
    return { statement: oneLine(this.lex.decommented.slice(s, e)), scopes, start: s, end: e };
  }
  push(op, at) {
    const p = this.place(at);
    this.ops.push({ op, at, line: this.lines.lineOf(at), statement: p.statement, scopes: p.scopes, inDown: this.inDown(at) });
  }
  phpLayer() {
    const code = /* @__PURE__ */ new Set();
    const comment = /* @__PURE__ */ new Set();
    let line = 1;
    for (let i = 0; i < this.m.length; i++) {
      const c = this.m[i];
      if (c === "\n") line++;
      else if (!/\s/.test(c)) code.add(line);
    }
    for (const s of this.lex.strings) addRange(code, this.lines.lineOf(s.start), this.lines.lineOf(s.end - 1));
    for (const c of this.lex.comments) {
      addRange(comment, this.lines.lineOf(c.start), this.lines.lineOf(Math.max(c.start, c.end - 1)));
      let off = c.start;
      for (const part of c.text.split("\n")) {
        this.comments.push({ layer: "php", line: this.lines.lineOf(off), text: part });
        off += part.length + 1;
      }
    }
    this.layers.set("php", { code, comment });
  }
  // ---- arguments and call chains ------------------------------------------------------------
  /** String literals starting in [from, to), in order. */
  stringsIn(from, to) {
    const all = this.lex.strings;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = lo + hi >> 1;
      if (all[mid].start < from) lo = mid + 1;
      else hi = mid;
    }
    const out = [];
    for (let k = lo; k < all.length && all[k].start < to; k++) out.push(all[k]);
    return out;
  }
  /** Top-level argument ranges of the call whose parentheses are at open/close. */
  argRanges(open2, close) {
    const out = [];
    let depth = 0;
    let start = open2 + 1;
    for (let i = open2 + 1; i < close; i++) {
      const c = this.m[i];
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth--;
      else if (c === "," && depth === 0) {
        out.push([start, i]);
        start = i + 1;
      }
    }
    if (this.m.slice(start, close).trim() !== "") out.push([start, close]);
    return out;
  }
  argVal([from, to]) {
    const raw = this.lex.decommented.slice(from, to).trim();
    const masked = this.m.slice(from, to).trim();
    const strings = this.stringsIn(from, to);
    const v = { strings: strings.map((s) => s.value), raw };
    const first = this.nextNonWs(from);
    const only = this.stringAt.get(first);
    if (only && this.m.slice(only.end, to).trim() === "") v.str = only.value;
    const named = masked.replace(/^[A-Za-z_]\w*\s*:(?!:)\s*/, "");
    if (/^-?\d+(?:\.\d+)?$/.test(named)) v.num = Number(named);
    if (/^(?:true|false)$/i.test(named)) v.bool = named.toLowerCase() === "true";
    return v;
  }
  args(open2, close) {
    return this.argRanges(open2, close).map((r) => this.argVal(r));
  }
  /** `->a(…)->b(…)` from `from`. */
  chain(from) {
    const calls = [];
    const re = /\s*\??->\s*([A-Za-z_]\w*)\s*\(/y;
    let pos = from;
    for (; ; ) {
      re.lastIndex = pos;
      const mt = re.exec(this.m);
      if (!mt) break;
      const open2 = pos + mt[0].length - 1;
      const close = this.matchClose(open2);
      calls.push({ name: mt[1], nameAt: pos + mt[0].indexOf(mt[1]), open: open2, close });
      pos = close + 1;
    }
    return calls;
  }
  // ---- SQL in strings -----------------------------------------------------------------------
  /** Scans SQL built from string literals (and placeholders for code between them). */
  sqlFrom(pieces, callAt) {
    let text = "";
    const map = [];
    for (const p2 of pieces) {
      text += p2.text;
      map.push(...p2.map);
    }
    if (text.trim() === "") return;
    const k = this.sqlTexts++;
    const layer = `sql:${k}`;
    const { lex, items } = scanSqlText(text, { php: true });
    const src = (i) => map[Math.min(Math.max(i, 0), map.length - 1)];
    const code = /* @__PURE__ */ new Set();
    const comment = /* @__PURE__ */ new Set();
    for (const t of lex.tokens) if (t.type !== "end") addRange(code, this.lines.lineOf(src(t.s)), this.lines.lineOf(src(t.e - 1)));
    for (const c of lex.comments) {
      addRange(comment, this.lines.lineOf(src(c.s)), this.lines.lineOf(src(c.e - 1)));
      let off = c.s;
      for (const part of c.text.split("\n")) {
        this.comments.push({ layer, line: this.lines.lineOf(src(off)), text: part });
        off += part.length + 1;
      }
    }
    this.layers.set(layer, { code, comment });
    const p = this.place(callAt);
    const inDown = this.inDown(callAt);
    for (const it of items) {
      const at = src(it.at);
      this.ops.push({
        op: it.op,
        at,
        line: this.lines.lineOf(at),
        statement: oneLine(statementText(lex, it.statement)),
        scopes: [...p.scopes, { layer, start: this.lines.lineOf(src(it.statement.s)), end: this.lines.lineOf(src(it.statement.e - 1)) }],
        inDown
      });
    }
  }
  placeholder(code, at) {
    const t = `{${code.replace(/[\s{}'";`]+/g, "")}}`;
    return { text: t, map: Array.from({ length: t.length }, () => at) };
  }
  /** Splits [from, to) at the concatenation dots outside parentheses, brackets and braces. */
  concatParts(from, to) {
    const m = this.m;
    const parts = [];
    let depth = 0;
    let start = from;
    for (let i = from; i < to; i++) {
      const c = m[i];
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth--;
      else if (c === "." && depth === 0 && m[i + 1] !== "." && m[i - 1] !== "." && m[i + 1] !== "=" && !(/\d/.test(m[i - 1] ?? "") && /\d/.test(m[i + 1] ?? ""))) {
        parts.push([start, i]);
        start = i + 1;
      }
    }
    parts.push([start, to]);
    return parts;
  }
  /** End (exclusive) of the expression that starts at `from`: the next `;`, `,`, `=>`, `?` or unmatched closer outside brackets. */
  exprEnd(from) {
    const m = this.m;
    let depth = 0;
    for (let i = from; i < m.length; i++) {
      const c = m[i];
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) {
        if (depth === 0) return i;
        depth--;
      } else if (depth === 0 && (c === ";" || c === "," || c === "?" || c === "=" && m[i + 1] === ">")) return i;
    }
    return m.length;
  }
  /**
   * The SQL of an expression: string literals as text, every other operand (a variable, a call
   * with any arguments, a constant) as one `{…}` placeholder; `sprintf('…', …)` is read as its
   * format. Undefined when the expression has no string literal at all (SQL built at run time).
   */
  sqlPieces(from, to, used) {
    const pieces = [];
    let literal = false;
    for (const [a0, b0] of this.concatParts(from, to)) {
      const a = this.nextNonWs(a0);
      const b = this.prevNonWs(b0 - 1) + 1;
      if (a >= b) continue;
      const only = this.stringAt.get(a);
      if (only && only.end === b) {
        pieces.push({ text: only.value, map: only.map });
        used.push(only);
        literal = true;
        continue;
      }
      const fmt = /^\\?v?sprintf\s*\(/i.exec(this.m.slice(a, b));
      if (fmt && this.matchClose(a + fmt[0].length - 1) === b - 1) {
        const first = this.argRanges(a + fmt[0].length - 1, b - 1)[0];
        const inner = first ? this.sqlPieces(first[0], first[1], used) : void 0;
        if (inner) {
          pieces.push(...inner);
          literal = true;
          continue;
        }
      }
      pieces.push(this.placeholder(this.lex.decommented.slice(a, b).slice(0, 60), a));
    }
    return literal ? pieces : void 0;
  }
  /** Expressions assigned to `$name` in this file (`$name = …;`, `$name .= …;`, `$name[] = …;`), or undefined. */
  assignments(name) {
    const re = new RegExp(`\\$${name}\\s*(?:\\[\\s*\\])?\\s*\\.?=(?![=>])`, "g");
    const out = [];
    let mt;
    while (mt = re.exec(this.m)) {
      const from = mt.index + mt[0].length;
      out.push([from, this.exprEnd(from)]);
    }
    return out.length > 0 ? out : void 0;
  }
  /**
   * The SQL a variable holds, when the file shows it: assigned string expressions, arrays of them,
   * or the value variable of a `foreach` over such an array. Undefined when it cannot be read.
   */
  sqlOfVariable(name, used, depth = 0) {
    if (depth > 2) return void 0;
    const out = [];
    const each = new RegExp(`\\bforeach\\s*\\(([^;{}]*?)\\s+as\\s+(?:\\$\\w+\\s*=>\\s*)?\\$${name}\\s*\\)`).exec(this.m);
    let ranges;
    if (each) {
      const from = each.index + each[0].indexOf("(") + 1;
      const src = this.m.slice(from, from + each[1].length).trim();
      const v = /^\$([A-Za-z_]\w*)$/.exec(src)?.[1];
      if (v) return this.sqlOfVariable(v, used, depth + 1);
      ranges = [[from, from + each[1].length]];
    } else ranges = this.assignments(name);
    if (!ranges) return void 0;
    for (const [from, to] of ranges) {
      const a = this.nextNonWs(from);
      if (this.m[a] === "[" || /^array\s*\(/i.test(this.m.slice(a, a + 7))) {
        const open2 = this.m[a] === "[" ? a : this.m.indexOf("(", a);
        for (const r of this.argRanges(open2, this.matchClose(open2))) {
          const arrow = this.m.slice(r[0], r[1]).indexOf("=>");
          const p2 = this.sqlPieces(arrow >= 0 ? r[0] + arrow + 2 : r[0], r[1], used);
          if (p2) out.push(p2);
        }
        continue;
      }
      const p = this.sqlPieces(from, to, used);
      if (!p) return void 0;
      out.push(p);
    }
    return out;
  }
  /** SQL passed to addSql, DB::statement, DB::unprepared, executeStatement, … */
  sqlCalls() {
    SQL_CALL.lastIndex = 0;
    let mt;
    while (mt = SQL_CALL.exec(this.m)) {
      const open2 = mt.index + mt[0].length - 1;
      const close = this.matchClose(open2);
      const first = this.argRanges(open2, close)[0];
      if (!first) continue;
      const callAt = mt.index + mt[0].indexOf(mt[1]);
      const used = [];
      const pieces = this.sqlPieces(first[0], first[1], used);
      if (pieces) {
        for (const u of used) this.consumed.add(u);
        this.sqlFrom(pieces, callAt);
        continue;
      }
      if (!DYNAMIC_CALL.test(mt[1]) || mt[0].startsWith("::") && !/\bDB\s*$/.test(this.m.slice(Math.max(0, mt.index - 20), mt.index))) continue;
      const arg = this.m.slice(first[0], first[1]).trim();
      const v = /^\$([A-Za-z_]\w*)$/.exec(arg)?.[1];
      const known = v && v !== "this" ? this.sqlOfVariable(v, used) : void 0;
      if (known) {
        for (const p of known) if (!p.some((x) => this.sqlSeen.has(x.map[0]))) {
          p.forEach((x) => this.sqlSeen.add(x.map[0]));
          this.sqlFrom(p, callAt);
        }
        for (const u of used) this.consumed.add(u);
        continue;
      }
      this.push({ kind: "dynamic-sql", call: `${mt[1]}(${oneLine(this.lex.decommented.slice(first[0], first[1]), 60)})` }, callAt);
    }
  }
  /** Source offsets of SQL pieces already scanned through a variable (each is scanned once). */
  sqlSeen = /* @__PURE__ */ new Set();
  /** Other string literals (and concatenations) that start like destructive SQL. */
  sqlStrings() {
    for (const s of this.lex.strings) {
      if (this.consumed.has(s) || s.kind === "shell") continue;
      const used = [];
      const pieces = this.sqlPieces(s.start, this.exprEnd(s.end), used);
      if (!pieces) continue;
      const text = pieces.map((p) => p.text).join("");
      const sqlLabel = s.label !== void 0 && /SQL|QUERY/i.test(s.label);
      if (!sqlLabel && !SQL_START.test(text.trimStart())) continue;
      for (const c of used) this.consumed.add(c);
      this.sqlFrom(pieces, s.start);
    }
  }
  // ---- Laravel ------------------------------------------------------------------------------
  /** Schema::drop/dropIfExists/dropColumns/rename/create/table(…). */
  laravelSchema() {
    const re = /\bSchema\s*::\s*(?:connection\s*\([^()]*\)\s*->\s*)?([A-Za-z_]\w*)\s*\(/g;
    let mt;
    while (mt = re.exec(this.m)) {
      const name = mt[1].toLowerCase();
      const nameAt = mt.index + mt[0].lastIndexOf(mt[1]);
      const open2 = mt.index + mt[0].length - 1;
      const close = this.matchClose(open2);
      const args = this.args(open2, close);
      const table = normName(args[0]?.str);
      switch (name) {
        case "create":
        case "table":
        case "whentablehascolumn":
        case "whentabledoesnthavecolumn":
          this.blueprint(open2, close, table, name === "create", nameAt);
          break;
        case "drop":
        case "dropifexists":
          this.push({ kind: "drop-table", tables: [table] }, nameAt);
          break;
        case "dropcolumns":
          this.push({ kind: "drop-column", table, columns: (args[1]?.strings ?? []).map((c) => normName(c)) }, nameAt);
          break;
        case "rename":
          this.push({ kind: "rename-table", from: table, to: normName(args[1]?.str) }, nameAt);
          break;
        case "dropalltables":
        case "dropallviews":
          this.push({ kind: "drop-table", tables: [name === "dropalltables" ? "(every table)" : "(every view)"], view: name === "dropallviews" }, nameAt);
          break;
        case "dropdatabaseifexists":
          this.push({ kind: "drop-database", schema: false, ...args[0]?.str ? { name: args[0].str } : {} }, nameAt);
          break;
      }
    }
  }
  /**
   * The closure passed to Schema::create/table — written in the call, or a variable assigned a
   * closure earlier (`$add = fn (Blueprint $t) => $t->text('x'); Schema::table('a', $add);`):
   * its Blueprint parameter and body.
   */
  closureOf(open2, close) {
    const fnRe = /\b(function|fn)\s*\(/g;
    fnRe.lastIndex = open2 + 1;
    let f = fnRe.exec(this.m);
    if (!f || f.index >= close) {
      const arg = this.argRanges(open2, close)[1];
      const name = arg ? /^\$([A-Za-z_]\w*)$/.exec(this.m.slice(arg[0], arg[1]).trim())?.[1] : void 0;
      if (!name) return void 0;
      const assign = new RegExp(`\\$${name}\\s*=\\s*(?:static\\s+)?(function|fn)\\s*\\(`, "g");
      let last = null;
      for (let mt; (mt = assign.exec(this.m)) && mt.index < open2; ) last = mt;
      if (!last) return void 0;
      fnRe.lastIndex = last.index;
      f = fnRe.exec(this.m);
      if (!f) return void 0;
    }
    const pOpen = f.index + f[0].length - 1;
    const pClose = this.matchClose(pOpen);
    const v = /\$([A-Za-z_]\w*)/.exec(this.m.slice(pOpen, pClose))?.[1];
    if (!v) return void 0;
    if (f[1] === "function") {
      let i = pClose + 1;
      while (i < this.m.length && this.m[i] !== "{") i++;
      return { v, bodyStart: i + 1, bodyEnd: this.matchClose(i) };
    }
    const arrow = this.m.indexOf("=>", pClose);
    if (arrow < 0) return void 0;
    return { v, bodyStart: arrow + 2, bodyEnd: f.index > close || f.index < open2 ? this.exprEnd(arrow + 2) : close };
  }
  /** The closure of Schema::create/table: the column operations on its Blueprint. */
  blueprint(open2, close, table, create, at) {
    const closure = this.closureOf(open2, close);
    const columns = [];
    const createOp = { kind: "create-table", table, columns };
    if (create) this.push(createOp, at);
    if (!closure) return;
    const { v, bodyStart, bodyEnd } = closure;
    this.handled.push([bodyStart, bodyEnd]);
    const varRe = new RegExp(`\\$${v}\\b(?=\\s*\\??->)`, "g");
    varRe.lastIndex = bodyStart;
    let vm;
    while ((vm = varRe.exec(this.m)) && vm.index < bodyEnd) {
      const calls = this.chain(vm.index + vm[0].length);
      const head = calls[0];
      if (!head) continue;
      const mods = /* @__PURE__ */ new Map();
      for (const c of calls.slice(1)) mods.set(c.name.toLowerCase(), this.args(c.open, c.close));
      const method = head.name.toLowerCase();
      const args = this.args(head.open, head.close);
      if (LARAVEL_COLUMN_METHODS.has(method)) {
        const defs = laravelColumns(method, args, mods);
        if (create) {
          for (const d of defs) if (d.name !== void 0) columns.push([normName(d.name), d.def]);
        } else if (mods.has("change")) {
          for (const d of defs) this.push({ kind: "modify-column", table, column: normName(d.name), how: "define", def: d.def }, head.nameAt);
        } else {
          for (const d of defs) this.push({ kind: "add-column", table, column: normName(d.name), def: d.def }, head.nameAt);
        }
        continue;
      }
      if (create) continue;
      this.alterCall(method, args, table, head.nameAt);
    }
  }
  /** One call on the Blueprint of Schema::table other than a column definition: drops and renames. */
  alterCall(method, args, table, at) {
    const drop = (cols) => {
      this.push({ kind: "drop-column", table, columns: cols.filter((c) => c !== void 0).map((c) => normName(c)) }, at);
    };
    const a0 = args[0]?.str;
    switch (method) {
      case "dropcolumn":
      case "dropcolumns":
      case "removecolumn":
        drop(args.flatMap((a) => a.strings));
        break;
      case "droptimestamps":
      case "droptimestampstz":
      case "dropdatetimes":
        drop(["created_at", "updated_at"]);
        break;
      case "dropsoftdeletes":
      case "dropsoftdeletestz":
        drop([a0 ?? "deleted_at"]);
        break;
      case "dropremembertoken":
        drop(["remember_token"]);
        break;
      case "dropmorphs":
        drop(a0 ? [`${a0}_type`, `${a0}_id`] : []);
        break;
      case "dropconstrainedforeignid":
        drop([a0]);
        break;
      case "dropconstrainedforeignidfor":
        drop([args[1]?.str]);
        break;
      case "renamecolumn":
        this.push({ kind: "rename-column", table, from: normName(a0), to: normName(args[1]?.str) }, at);
        break;
      case "rename":
        this.push({ kind: "rename-table", from: table, to: normName(a0) }, at);
        break;
      case "drop":
      case "dropifexists":
        this.push({ kind: "drop-table", tables: [table] }, at);
        break;
    }
  }
  /** DB::table('x')->truncate() / ->delete() / ->update([...]) without a where. */
  queryBuilder() {
    const re = /\bDB\s*::\s*(?:connection\s*\([^()]*\)\s*->\s*)?table\s*\(/g;
    let mt;
    while (mt = re.exec(this.m)) {
      const open2 = mt.index + mt[0].length - 1;
      const close = this.matchClose(open2);
      const table = normName(this.args(open2, close)[0]?.str);
      const calls = this.chain(close + 1);
      this.handled.push([mt.index, calls.at(-1)?.close ?? close]);
      let filtered = false;
      for (const c of calls) {
        const n = c.name.toLowerCase();
        if (/^(?:or)?where|^find|^wherekey/.test(n)) filtered = true;
        if (n === "truncate") this.push({ kind: "truncate", tables: [table] }, c.nameAt);
        else if (n === "insertusing") this.push({ kind: "copy-into", table }, c.nameAt);
        else if (n === "delete" && !filtered && this.argRanges(c.open, c.close).length === 0) this.push({ kind: "delete-all", table }, c.nameAt);
        else if ((n === "update" || n === "increment" || n === "decrement") && !filtered) {
          const [first] = this.argRanges(c.open, c.close);
          let columns = [];
          if (first && n === "update") {
            columns = this.stringsIn(first[0], first[1]).filter((s) => this.m.slice(this.nextNonWs(s.end), this.nextNonWs(s.end) + 2) === "=>").map((s) => normName(s.value));
          } else if (first) columns = this.argVal(first).str !== void 0 ? [normName(this.argVal(first).str)] : [];
          this.push({ kind: "update-all", table, columns }, c.nameAt);
        }
      }
    }
  }
  // ---- Doctrine schema API and the rest -------------------------------------------------------
  /** A table name argument: the literal, or the code that computes it as a `{…}` placeholder (e.g. `$this->getTable('x')`). */
  tableArg(open2) {
    const close = this.matchClose(open2);
    const first = this.argRanges(open2, close)[0];
    if (!first) return void 0;
    const v = this.argVal(first);
    if (v.str !== void 0) return normName(v.str);
    const code = this.lex.decommented.slice(first[0], first[1]).replace(/[\s{}'";`]+/g, "");
    return code === "" ? void 0 : `{${code}}`;
  }
  /** The table a Doctrine `$table->…` call works on: `$schema->getTable('x')->…` or `$t = $schema->getTable('x')` (computed names too). */
  receiverTable(at) {
    const start = this.stmtStart(at);
    const head = this.m.slice(start, at);
    const call = /->\s*(?:getTable|createTable)\s*\(/g;
    let direct = null;
    for (let mt2; mt2 = call.exec(head); ) direct = mt2;
    if (direct) return this.tableArg(start + direct.index + direct[0].length - 1);
    const v = /^\$([A-Za-z_]\w*)\s*$/.exec(head)?.[1];
    if (!v) return void 0;
    const assign = new RegExp(`\\$${v}\\s*=\\s*\\$[A-Za-z_]\\w*\\s*->\\s*(?:getTable|createTable)\\s*\\(`, "g");
    let found;
    let mt;
    while ((mt = assign.exec(this.m)) && mt.index < at) found = mt.index + mt[0].length - 1;
    return found === void 0 ? void 0 : this.tableArg(found);
  }
  /** The column a `->getColumn('x')` call names, and its table. */
  columnSetters() {
    const re = /->\s*getColumn\s*\(/g;
    let mt;
    while (mt = re.exec(this.m)) {
      const at = mt.index + mt[0].indexOf("getColumn");
      if (this.isHandled(at)) continue;
      const open2 = mt.index + mt[0].length - 1;
      const close = this.matchClose(open2);
      const column = normName(this.args(open2, close)[0]?.str);
      const table = this.receiverTable(mt.index);
      let calls = this.chain(close + 1);
      if (calls.length === 0) {
        const start = this.stmtStart(mt.index);
        const v = /^\$([A-Za-z_]\w*)\s*=(?!=)/.exec(this.m.slice(start, mt.index))?.[1];
        if (!v) continue;
        const use = new RegExp(`\\$${v}\\b(?=\\s*->\\s*set)`, "g");
        use.lastIndex = close;
        for (let u; u = use.exec(this.m); ) calls = calls.concat(this.chain(u.index + u[0].length));
      }
      const set = partialFromSetters(calls.map((c) => ({ name: c.name, args: this.args(c.open, c.close) })));
      if (set) this.push({ kind: "alter-column", table, column, set }, calls[0].nameAt);
    }
  }
  generic() {
    const re = /(->|::)\s*(dropColumn|dropColumns|renameColumn|change|dropTable|renameTable|changeColumn|modifyColumn|addColumn|truncate|createTable)\s*\(/gi;
    let mt;
    while (mt = re.exec(this.m)) {
      const at = mt.index + mt[0].indexOf(mt[2]);
      if (this.isHandled(at)) continue;
      const open2 = mt.index + mt[0].length - 1;
      const close = this.matchClose(open2);
      const args = this.args(open2, close);
      const a0 = normName(args[0]?.str);
      const name = mt[2].toLowerCase();
      if (mt[1] === "::") {
        if (name === "truncate" && args.length === 0) {
          const cls = /([A-Za-z_]\w*)\s*::\s*$/.exec(this.m.slice(Math.max(0, mt.index - 100), mt.index + 2))?.[1];
          if (cls && cls !== "Schema") this.push({ kind: "truncate", tables: [`${cls} (model)`] }, at);
        }
        continue;
      }
      switch (name) {
        case "createtable":
          this.push({ kind: "create-table", table: this.tableArg(open2), columns: [] }, at);
          break;
        case "droptable":
          this.push({ kind: "drop-table", tables: [a0] }, at);
          break;
        case "renametable":
          this.push({ kind: "rename-table", from: a0, to: normName(args[1]?.str) }, at);
          break;
        case "dropcolumn":
        case "dropcolumns":
          this.push({ kind: "drop-column", table: this.receiverTable(mt.index), columns: args.flatMap((a) => a.strings).map((c) => normName(c)) }, at);
          break;
        case "renamecolumn":
          this.push({ kind: "rename-column", table: this.receiverTable(mt.index), from: a0, to: normName(args[1]?.str) }, at);
          break;
        case "change":
          if (args.length === 0) this.push({ kind: "modify-column", table: void 0, column: void 0, how: "define" }, at);
          break;
        case "changecolumn":
        case "modifycolumn": {
          const set = args[1] ? partialFromOptions(args[1].raw) : void 0;
          if (set) this.push({ kind: "alter-column", table: this.receiverTable(mt.index), column: a0, set }, at);
          else this.push({ kind: "modify-column", table: this.receiverTable(mt.index), column: a0, how: "define" }, at);
          break;
        }
        case "addcolumn": {
          const end = this.stmtEnd(at);
          const def = doctrineColumn(args[1]?.str, args[2]?.raw ?? "", this.lex.decommented.slice(close, end));
          this.push({ kind: "add-column", table: this.receiverTable(mt.index), column: a0, def }, at);
          break;
        }
        case "truncate":
          if (args.length === 0) this.push({ kind: "truncate", tables: [void 0] }, at);
          break;
      }
    }
  }
  scan() {
    this.sqlCalls();
    this.sqlStrings();
    this.laravelSchema();
    this.queryBuilder();
    this.generic();
    this.columnSetters();
    const ops = this.ops.map((o, i) => ({ o, i })).sort((a, b) => a.o.at - b.o.at || a.i - b.i).map((x) => x.o);
    return { ops, comments: this.comments, layers: this.layers };
  }
};
function scanPhpMigration(src, lines = new LineIndex(src)) {
  return new PhpScanner(src, lines).scan();
}
function scanSqlMigration(src, lines = new LineIndex(src)) {
  const { lex, items } = scanSqlText(src);
  const code = /* @__PURE__ */ new Set();
  const comment = /* @__PURE__ */ new Set();
  const comments = [];
  for (const t of lex.tokens) if (t.type !== "end") addRange(code, lines.lineOf(t.s), lines.lineOf(Math.max(t.s, t.e - 1)));
  for (const c of lex.comments) {
    addRange(comment, lines.lineOf(c.s), lines.lineOf(Math.max(c.s, c.e - 1)));
    let off = c.s;
    for (const part of c.text.split("\n")) {
      comments.push({ layer: "sql:0", line: lines.lineOf(off), text: part });
      off += part.length + 1;
    }
  }
  const ops = items.map((it) => ({
    op: it.op,
    at: it.at,
    line: lines.lineOf(it.at),
    statement: oneLine(statementText(lex, it.statement)),
    scopes: [{ layer: "sql:0", start: lines.lineOf(it.statement.s), end: lines.lineOf(it.statement.e - 1) }],
    inDown: false
  }));
  return { ops, comments, layers: /* @__PURE__ */ new Map([["sql:0", { code, comment }]]) };
}

// src/migrations/index.ts
var NULLABILITY = /* @__PURE__ */ new Set(["not-null", "drop-default", "add-column-not-null"]);
function laterRelaxed(later, target) {
  if (!target || target.table === void 0 || target.column === void 0) return false;
  return later.some((op) => {
    const r = relaxes(op);
    return r !== void 0 && r.table === target.table && r.column === target.column;
  });
}
function markRebuilds(ops) {
  return ops.map((o, i) => {
    if (o.op.kind !== "drop-table" || o.op.view) return o;
    const later = ops.slice(i + 1).map((x) => x.op);
    const all = ops.map((x) => x.op);
    const copies = (t) => all.filter((x) => x.kind === "copy-into" && x.table === t);
    const rebuild = [];
    for (const t of o.op.tables) {
      if (t === void 0) continue;
      const into = later.find((x) => x.kind === "create-table" && x.table === t || x.kind === "rename-table" && x.to === t);
      const target = into?.kind === "rename-table" ? into.from : t;
      const cs = into ? copies(target) : [];
      if (cs.length === 0) continue;
      const named = cs.every((c) => c.columns !== void 0) ? cs.flatMap((c) => c.columns) : void 0;
      rebuild.push({ table: t, ...named ? { copied: named } : {} });
    }
    return rebuild.length > 0 ? { ...o, op: { ...o.op, rebuild } } : o;
  });
}
function isSql(path, text) {
  if (/\.sql$/i.test(path)) return true;
  if (/\.php$/i.test(path)) return false;
  return !/^\s*<\?/.test(text);
}
function scanMigration(path, text, schema = new SchemaModel(), opts = {}) {
  const inRelease = opts.inRelease ?? true;
  const lines = new LineIndex(text);
  const scan = isSql(path, text) ? scanSqlMigration(text, lines) : scanPhpMigration(text, lines);
  const downDefs = /* @__PURE__ */ new Map();
  for (const o of scan.ops) {
    if (o.inDown && o.op.kind === "modify-column" && o.op.how === "define" && o.op.def) {
      const key = `${o.op.table}.${o.op.newName ?? o.op.column}`;
      if (!downDefs.has(key)) downDefs.set(key, o.op.def);
    }
  }
  const ctx = { inRelease, downDef: (t, c) => downDefs.get(`${t}.${c}`) };
  const hits = [];
  const up = markRebuilds(scan.ops.filter((o) => !o.inDown));
  up.forEach((o, i) => {
    for (const h of evaluate(o.op, schema, ctx)) {
      if (NULLABILITY.has(h.rule) && laterRelaxed(up.slice(i + 1).map((x) => x.op), tightens(o.op))) continue;
      hits.push({ ...h, line: o.line, statement: o.statement, scopes: o.scopes });
    }
  });
  schema.endRebuilds();
  if (!inRelease) return [];
  return applyMarkers(path, hits, scan.comments, scan.layers);
}
function scanMigrations(files, opts = {}) {
  const byPath = new Map(files.map((f) => [f.path, f.text]));
  const schemas = /* @__PURE__ */ new Map();
  const findings = [];
  for (const path of sortMigrationPaths([...byPath.keys()])) {
    const seq = (opts.sequence ?? driverSequence)(path);
    let schema = schemas.get(seq);
    if (!schema) schemas.set(seq, schema = new SchemaModel());
    findings.push(...scanMigration(path, byPath.get(path), schema, { inRelease: opts.inRelease?.(path) ?? true }));
  }
  return findings;
}
async function scanMigrationFiles(root, paths, opts = {}) {
  const files = await Promise.all(
    paths.map(async (path) => {
      try {
        return { path, text: await readFile3(join4(root, path), "utf8") };
      } catch (err) {
        const code = err?.code;
        throw new DeployError(`migrations: cannot read ${JSON.stringify(path)}: ${code ?? err?.message ?? String(err)}`, { cause: err });
      }
    })
  );
  return scanMigrations(files, opts);
}
var EXPAND_CONTRACT = "Migrations must stay compatible with the release that is live now, so that a rollback works: add (expand) in this release, remove (contract) in a later one once no live or rollback-target release uses it.";
var HOW_TO_ALLOW = `To allow one statement anyway, put a comment "${MARKER} <reason>" on its line or on the line right above it (// or # in PHP, -- in SQL); for a whole file, "${FILE_MARKER} <reason>" in its first ${FILE_MARKER_LINES} lines.`;
var CANNOT_VOUCH_NOTE = `php-deploy cannot tell whether these are safe (the column's previous definition is unknown, or the SQL is built at run time), so they do not stop the deploy; check them, and say you did with "${MARKER} <reason>" next to each.`;
function findingLines(f) {
  return [`${f.path}:${f.line}: ${f.rule}${f.allowed ? ` (allowed: ${f.allowed.reason})` : ""}: ${f.statement}`, `    ${f.message}`];
}
function guardVerdict(findings, mode) {
  const none = { refused: false, lines: [], unknownLines: [], blocking: 0, unknown: 0 };
  if (mode === "off" || findings.length === 0) return none;
  const destructive = findings.filter((f) => f.verdict !== "cannot-vouch");
  const unsure = findings.filter((f) => f.verdict === "cannot-vouch");
  const lines = destructive.flatMap(findingLines);
  const unknown = unsure.filter((f) => !f.allowed).length;
  const unknownLines = [];
  if (unsure.length > 0) {
    unknownLines.push(`cannot vouch for ${unsure.length} migration statement${unsure.length > 1 ? "s" : ""}${unknown < unsure.length ? ` (${unsure.length - unknown} checked and marked)` : ""}:`);
    unknownLines.push(...unsure.flatMap(findingLines));
    if (unknown > 0) unknownLines.push(CANNOT_VOUCH_NOTE);
  }
  const blocking = destructive.filter((f) => !f.allowed).length;
  if (blocking === 0) return { ...none, lines, unknownLines, unknown };
  const what = `${blocking} migration statement${blocking > 1 ? "s" : ""} would break the live release and a rollback to it`;
  if (mode === "warn") {
    lines.push(`${what}; deploying anyway (migration guard: warn).`);
    return { refused: false, lines, unknownLines, blocking, unknown };
  }
  lines.push(`${what}. ${EXPAND_CONTRACT}`);
  lines.push(HOW_TO_ALLOW);
  return { refused: true, lines, unknownLines, blocking, unknown };
}
function guardError(verdict) {
  if (!verdict.refused) return void 0;
  const { blocking } = verdict;
  return new DeployError(`migrations: refused ${blocking} destructive statement${blocking === 1 ? "" : "s"} (see above); expand now, contract in a later release, or allow with "${MARKER} <reason>"`);
}

// src/engine/migration-guard.ts
var discovered = /* @__PURE__ */ new WeakMap();
function releaseMigrations(settings, entries2) {
  let d = discovered.get(entries2);
  if (d) return d;
  const globs = settings.migrationsPath;
  const isDefault = globs.length === DEFAULT_MIGRATION_GLOBS.length && globs.every((g, i) => g === DEFAULT_MIGRATION_GLOBS[i]);
  const read = (p) => {
    try {
      return readFileSync2(join5(settings.source, p), "utf8");
    } catch {
      return void 0;
    }
  };
  const paths = entries2.filter((e) => e.type === "f").map((e) => e.path.replace(/^(?:\.\/)+/, ""));
  d = discoverMigrations(paths, read, isDefault ? {} : { globs });
  discovered.set(entries2, d);
  return d;
}
async function guardMigrations(settings, entries2, live, reporter) {
  const found = releaseMigrations(settings, entries2);
  for (const line of describeDiscovery(found)) reporter.info(line);
  const files = found.files;
  if (files.length === 0) return { added: [], refused: false };
  if (!live.id) {
    reporter.info(`migrations: ${files.length} found; first deploy, so there is no release to stay compatible with`);
    return { added: files, refused: false };
  }
  if (!live.manifest) {
    reporter.warn(`migrations: the live release ${live.id} has no manifest (deployed by other means); its migrations are unknown, so none are checked`);
    return { added: [], refused: false };
  }
  const liveFiles = new Set(parseManifest(live.manifest).map((e) => e.path));
  const added = files.filter((f) => !liveFiles.has(f));
  if (added.length === 0) {
    reporter.info(`migrations: none new since ${live.id}`);
    return { added, refused: false };
  }
  reporter.info(`migrations: ${added.length} new since ${live.id}: ${added.join(", ")}`);
  if (settings.migrations === "off") return { added, refused: false };
  const findings = await scanMigrationFiles(settings.source, files, {
    inRelease: (p) => !liveFiles.has(p),
    sequence: (p) => found.sequence.get(p) ?? ""
  });
  const verdict = guardVerdict(findings, settings.migrations);
  for (const line of verdict.lines) {
    if (verdict.refused) reporter.error(line, { phase: "migration-guard" });
    else reporter.warn(line, { phase: "migration-guard" });
  }
  for (const line of verdict.unknownLines) reporter.warn(line, { phase: "migration-guard" });
  const err = guardError(verdict);
  if (err && !settings.dryRun) throw err.at(void 0, "migration-guard");
  return { added, refused: verdict.refused };
}

// src/engine/deploy.ts
function sharedExcludes(shared) {
  return shared.map((p) => `/${p.replace(/\/+$/, "")}`);
}
function formatMB(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
async function runDeploy(settings, reporter, opts = {}) {
  const ctx = newContext(settings, reporter, opts);
  loadPrivateKey(settings.ssh.privateKey, settings.ssh.passphrase);
  parseKnownHosts(settings.ssh.knownHosts);
  const connect = opts.connect ?? connectAll;
  ctx.connecting = connect(settings, reporter, opts.signal, true);
  ctx.connecting.catch(() => void 0);
  try {
    await phase(ctx, "scan", scanSource);
    await phase(ctx, "artifact-check", checkTree);
    await phase(ctx, "connect", connectHosts);
    await phase(ctx, "preflight", preflightHosts);
  } catch (err) {
    closeSessions(ctx);
    if (ctx.hosts.length === 0) void ctx.connecting.then((ss) => ss.forEach((s) => void s.close())).catch(() => void 0);
    throw err;
  }
  return settings.dryRun ? dryRun(ctx) : changeServers(ctx);
}
function newContext(settings, reporter, opts) {
  const now = opts.now?.() ?? /* @__PURE__ */ new Date();
  const deployId = opts.fixedDeployId ?? newDeployId(now, settings.gitSha, () => randomBytes(4).toString("hex").slice(0, 7));
  return {
    settings,
    reporter,
    opts,
    phases: new Phases(reporter),
    started: Date.now(),
    deployId,
    ref: { deployPath: settings.deployPath, deployId, token: `${deployId}.${randomUUID()}` },
    manifestText: "",
    checks: [],
    hosts: [],
    guard: { added: [], refused: false }
  };
}
async function phase(ctx, name, fn) {
  await ctx.phases.run(name, () => fn(ctx));
  const signal = ctx.opts.signal;
  if (!signal?.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : "cancelled";
  throw new DeployError(reason, { phase: name });
}
async function changeServers(ctx) {
  try {
    await phase(ctx, "lock", lockHosts);
    await phase(ctx, "upload", uploadRelease);
    await ctx.phases.run("activate", () => activateRelease(ctx));
    if (ctx.archive && ctx.opts.artifacts?.keep) await ctx.phases.run("artifact", () => keepArchive(ctx));
  } catch (err) {
    throw await failDeploy(ctx, err);
  } finally {
    if (ctx.archive) void ctx.archive.then((a) => removeTempDir(a.dir)).catch(() => void 0);
    await Promise.all(ctx.hosts.map((h) => h.hold?.stop()));
    closeSessions(ctx);
    if (ctx.hosts.every((h) => !h.locked)) ctx.opts.onReleased?.();
  }
  const first = ctx.hosts[0]?.result;
  return deployResult(ctx, {
    previousDeployId: first?.previousDeployId ?? "",
    releasePath: first?.releasePath,
    rolledBack: ctx.hosts.some((h) => h.result.rolledBack),
    skewMs: ctx.skewMs,
    artifact: ctx.artifact
  });
}
function closeSessions(ctx) {
  for (const h of ctx.hosts) void h.session.close();
}
function deployResult(ctx, facts) {
  return {
    command: "deploy",
    deployId: ctx.deployId,
    previousDeployId: "",
    version: ctx.settings.version,
    rolledBack: false,
    hosts: ctx.hosts.map((h) => h.result),
    phases: ctx.phases.timings,
    files: ctx.scan?.files,
    bytes: ctx.scan?.bytes,
    ...facts,
    releasePath: facts.releasePath ?? `${ctx.settings.deployPath}/releases/${ctx.deployId}`,
    durationMs: Date.now() - ctx.started
  };
}
async function scanSource(ctx) {
  const { settings, reporter } = ctx;
  const s = await scanTree(settings.source, { exclude: [...settings.exclude, ...sharedExcludes(settings.shared)] });
  reporter.info(`${s.files} files, ${formatMB(s.bytes)} in ${settings.source}`);
  ctx.scan = s;
  ctx.manifestText = formatManifest(s.entries);
}
async function checkTree(ctx) {
  const local = (await checkArtifact(ctx.settings.source, entries(ctx), ctx.settings.shared)).map((c) => ({ ...c }));
  reportChecks(local, ctx.reporter);
  ctx.checks.push(...local);
  const failed = checksError(local, "artifact-check");
  if (failed && !ctx.settings.dryRun) throw failed;
}
async function connectHosts(ctx) {
  const sessions = await (ctx.connecting ?? Promise.resolve([]));
  for (const s of sessions) ctx.reporter.info(connectedMessage(ctx.settings, s.label));
  ctx.hosts = sessions.map((session) => ({
    session,
    locked: false,
    result: { host: session.label, ok: false, rolledBack: false, deployId: ctx.deployId }
  }));
}
async function preflightHosts(ctx) {
  const { settings, reporter } = ctx;
  const hasMigrations = releaseMigrations(settings, entries(ctx)).files.length > 0;
  const facts = await mapLimit(
    ctx.hosts.map((h) => h.session),
    settings.maxParallel,
    (s, i) => checkServer(s, settings, ctx.scan?.bytes ?? 0, reporter, { wantManifest: i === 0 && hasMigrations })
  );
  const serverChecks = facts.flatMap((f) => [...f.checks, ...platformChecks(settings, f), ...sharedTypeChecks(settings, f)]);
  reportChecks(serverChecks, reporter);
  ctx.checks.push(...serverChecks);
  const failed = checksError(serverChecks);
  if (failed && !settings.dryRun) throw failed;
  const first = facts[0];
  ctx.guard = await guardMigrations(settings, entries(ctx), { id: first?.live ?? "", manifest: first?.liveManifest }, reporter);
  if (first?.live && first.liveManifest) ctx.liveManifest = { id: first.live, text: first.liveManifest, sha256: createHash2("sha256").update(first.liveManifest).digest("hex") };
  if (ctx.guard.refused) ctx.checks.push({ id: "migration-guard", severity: "error", message: "destructive migrations (see above)" });
}
async function dryRun(ctx) {
  try {
    const plan = await ctx.phases.run("plan", () => planDeploy(ctx));
    return deployResult(ctx, { previousDeployId: plan.hosts[0]?.live ?? "", plan });
  } finally {
    closeSessions(ctx);
  }
}
async function lockHosts(ctx) {
  const { settings, reporter, ref, opts } = ctx;
  opts.onLockTaking?.({ deployPath: settings.deployPath, deployId: ctx.deployId, token: ref.token, hosts: settings.hosts.map((h) => h.label) });
  await mapLimit(ctx.hosts, settings.maxParallel, async (h, i) => {
    const have = i === 0 ? ctx.liveManifest : void 0;
    h.begin = await runRemote(h.session, beginCommand(settings, ref, have?.sha256), reporter, { phase: "lock", signal: opts.signal }).catch((err) => {
      if (opts.signal?.aborted) h.locked = true;
      throw err;
    });
    if (have && h.begin.result("manifest_same") === "1" && h.begin.result("base") === have.id) h.begin.manifest = have.text;
    h.locked = true;
    h.hold = holdLease(h.session, viaCacheOn(h.session, holdCommand(settings, ref)), reporter);
    h.result.previousDeployId = h.begin.result("live") || void 0;
  });
}
async function uploadRelease(ctx) {
  await uploadAll(ctx);
  if (ctx.opts.artifacts?.keep) {
    ctx.archive = createReleaseArchive(ctx.settings.source, entries(ctx), ctx.manifestText, { fileName: `php-deploy-${ctx.deployId}.tar.gz` });
    ctx.archive.catch(() => void 0);
  }
}
async function activateRelease(ctx) {
  const { opts } = ctx;
  const onCancel = () => {
    const reason = String(opts.signal?.reason?.message ?? "cancelled");
    for (const h of ctx.hosts) {
      if (h.session.isConnected) void h.session.exec(cancelCommand(ctx.ref, reason)).catch(() => void 0);
    }
  };
  opts.signal?.addEventListener("abort", onCancel, { once: true });
  try {
    const activation = await activateHosts(ctx.hosts, ctx.settings, ctx.ref, ctx.reporter, { backup: ctx.guard.added.length > 0 });
    ctx.skewMs = activation.skewMs;
  } finally {
    opts.signal?.removeEventListener("abort", onCancel);
  }
}
async function failDeploy(ctx, err) {
  const { hosts } = ctx;
  const failure = asDeployError(err);
  failure.details = {
    ...failure.details,
    deployId: ctx.deployId,
    previousDeployId: hosts[0]?.result.previousDeployId,
    rolledBack: hosts.some((h) => h.result.rolledBack)
  };
  await undoHosts(hosts, ctx.settings, ctx.ref, failure.oneLine(), ctx.reporter);
  for (const h of hosts) {
    h.result.ok = h.result.ok && h.done === true && !h.result.rolledBack;
    if (h.result.error === void 0 && failure.host === h.session.label) h.result.error = failure.oneLine();
  }
  failure.details.rolledBack = hosts.some((h) => h.result.rolledBack);
  failure.details.hosts = hosts.map((h) => h.result);
  return failure;
}
function entries(ctx) {
  return ctx.scan?.entries ?? [];
}
async function keepArchive(ctx) {
  const { reporter, settings, deployId } = ctx;
  const store = ctx.opts.artifacts;
  if (!store?.keep || !ctx.archive) return;
  try {
    const a = await ctx.archive;
    const facts = await store.keep(deployId, a.path);
    reporter.info(`kept the release archive (${(a.bytes / 1e6).toFixed(1)} MB): ${Object.entries(facts).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    await Promise.all(
      ctx.hosts.map(
        (h) => runRemote(h.session, noteCommand({ deployPath: settings.deployPath, deployId }, "artifact", facts), reporter, { phase: "artifact" }).catch(
          (err) => reporter.warn(`${h.session.label}: could not record the artifact in the deploy log: ${asDeployError(err).message}`)
        )
      )
    );
    ctx.artifact = facts;
  } catch (err) {
    reporter.warn(`the release is live, but its archive was not kept: ${asDeployError(err).message}`, { phase: "artifact" });
  }
}
async function planDeploy(ctx) {
  const { settings, reporter, deployId, checks } = ctx;
  const planned = await Promise.all(
    ctx.hosts.map(async (h) => {
      const out = await runRemote(h.session, inspectCommand(settings), reporter, { phase: "plan" });
      let base;
      if (out.result("base") && out.manifest) base = parseManifest(out.manifest);
      const diff = diffManifests(entries(ctx), base);
      return {
        host: h.session.label,
        live: out.result("live") ?? "",
        base: base ? out.result("base") : void 0,
        sendFiles: diff.send.filter((e) => e.type !== "d").length,
        sendBytes: diff.sendBytes,
        unchanged: diff.unchanged,
        removed: diff.removed,
        missingShared: out.all("missing_shared"),
        wouldPrune: out.all("would_prune"),
        lock: out.lock
      };
    })
  );
  const refused = checks.some((c) => c.severity === "error") || planned.some((p) => p.lock !== void 0);
  return {
    deployId,
    version: settings.version,
    hosts: planned,
    shared: settings.shared,
    beforeSwitch: settings.beforeSwitch,
    afterSwitch: settings.afterSwitch,
    reloadCommand: settings.reloadCommand,
    healthUrl: settings.healthUrl,
    fpmSocket: settings.fpmSocket,
    checks,
    refused
  };
}
function readOnly(e) {
  return e.type === "f" ? { ...e, mode: e.mode & 365 } : e;
}
async function planUpload(ctx, h) {
  const { settings, reporter } = ctx;
  const label = h.session.label;
  const baseId = h.begin?.result("base") || void 0;
  let base;
  if (baseId && h.begin?.manifest) {
    try {
      base = parseManifest(h.begin.manifest);
    } catch {
      reporter.warn(`${label}: the live release's manifest is unreadable; sending everything`);
    }
  }
  const diff = diffManifests(entries(ctx), base);
  const sendFiles = diff.send.filter((e) => e.type !== "d").length;
  reporter.info(
    base ? `${label}: sending ${sendFiles} new or changed files (${formatMB(diff.sendBytes)}), ${diff.unchanged} unchanged taken from ${baseId}, ${diff.removed} removed` : `${label}: sending all ${sendFiles} files (${formatMB(diff.sendBytes)})`
  );
  const missing = h.begin?.all("missing_shared") ?? [];
  const seeds = await seedEntries(settings.source, missing);
  for (const c of seeds.skipped) {
    reporter.warn(`${label}: not seeding ${c.path} into shared/ from the source: the secret check ${c.id} flags it; put it on the server yourself (shared/${c.path})`);
  }
  if (seeds.entries.length > 0) reporter.info(`${label}: seeding new shared paths from the source: ${missing.join(", ")}`);
  const manifestKey = base ? createHash2("sha256").update(h.begin?.manifest ?? "").digest("hex") : "";
  return { h, baseId: base ? baseId : void 0, diff, seeds, key: [base ? baseId : "", manifestKey, ...missing].join("\n") };
}
async function uploadAll(ctx) {
  const max = ctx.settings.maxParallel;
  const plans = await Promise.all(ctx.hosts.map((h) => planUpload(ctx, h)));
  const groups = /* @__PURE__ */ new Map();
  for (const p of plans) groups.set(p.key, [...groups.get(p.key) ?? [], p]);
  const units = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += max) units.push(g.slice(i, i + max));
  const largest = Math.max(1, ...units.map((u) => u.length));
  await mapLimit(units, Math.max(1, Math.floor(max / largest)), (unit) => uploadUnit(ctx, unit));
}
async function uploadUnit(ctx, unit) {
  const { settings, ref, reporter } = ctx;
  const signal = ctx.opts.signal;
  const { diff, seeds, baseId } = unit[0];
  const sendFiles = diff.send.filter((e) => e.type !== "d").length;
  const labels = unit.map((p) => p.h.session.label).join(", ");
  const manifest = gzipSync(ctx.manifestText, { level: 6 });
  let lastReport = 0;
  let ended = false;
  const pack = createPackStream(settings.source, [...diff.send.map(readOnly), ...seeds.entries], "", {
    signal,
    parallel: true,
    onProgress: (p) => {
      const t = Date.now();
      if (ended || t - lastReport < 2e3 && p.files < sendFiles) return;
      lastReport = t;
      reporter.info(`${labels}: upload ${Math.min(p.files, sendFiles)}/${sendFiles} files, ${formatMB(p.bytes)}/${formatMB(diff.sendBytes)}`);
    }
  });
  const source = new PassThrough3({ highWaterMark: 1024 * 1024 });
  source.write(manifest);
  pack.on("error", (err) => source.destroy(err));
  source.on("close", () => pack.destroy());
  pack.pipe(source);
  const copies = fanOut(source, unit.length);
  try {
    await mapLimit(unit, unit.length, async (p, i) => {
      let out;
      try {
        out = await runRemote(p.h.session, uploadCommand(settings, ref, baseId, manifest.length), reporter, {
          phase: "upload",
          stdin: copies[i],
          signal
        });
      } catch (err) {
        const e = asDeployError(err);
        if (e.details.exit?.lock === "released" || e.details.exit?.lock === "lost") p.h.locked = false;
        throw e;
      }
      p.h.result.releasePath = out.result("release_path");
      p.h.result.sentFiles = sendFiles;
      p.h.result.sentBytes = diff.sendBytes;
      p.h.result.linkedFiles = diff.unchanged;
    });
  } finally {
    ended = true;
  }
}
export {
  readOnly,
  runDeploy,
  sharedExcludes
};
