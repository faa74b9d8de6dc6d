import { createRequire as __phpDeployCreateRequire } from 'node:module';
import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';
import { dirname as __phpDeployDirname } from 'node:path';
var require = __phpDeployCreateRequire(import.meta.url);
var __filename = __phpDeployFileURLToPath(import.meta.url);
var __dirname = __phpDeployDirname(__filename);
import {
  DeployError,
  Phases,
  abortCommand,
  asDeployError,
  connectAll,
  extractArchive,
  listCommand,
  recordsCommand,
  removeTempDir,
  rollbackCommand,
  runRemote,
  unlockCommand
} from "./chunk-HYMXMBRH.js";

// src/engine/manage.ts
import { randomUUID } from "node:crypto";

// src/engine/restore.ts
var ARCHIVE_EVENT = "artifact";
var LOG_FIELDS = /* @__PURE__ */ new Set(["time", "event", "id", "result", "live", "phase", "reason"]);
function parseArchiveRecords(lines, deployId) {
  const seen = /* @__PURE__ */ new Map();
  for (const line of lines) {
    let v;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) continue;
    const o = v;
    if (o.event !== ARCHIVE_EVENT || o.id !== deployId || o.result !== "ok") continue;
    const facts = {};
    for (const [k, val] of Object.entries(o)) {
      if (!LOG_FIELDS.has(k) && (typeof val === "string" || typeof val === "number")) facts[k] = val;
    }
    seen.set(factsKey(facts), facts);
  }
  return [...seen.values()];
}
function factsKey(f) {
  return JSON.stringify(Object.keys(f).sort().map((k) => [k, f[k]]));
}
function describeFacts(f) {
  return Object.entries(f).map(([k, v]) => `${k}=${v}`).join(" ");
}
function agreeOnRecord(perHost, deployId) {
  const distinct = /* @__PURE__ */ new Map();
  for (const h of perHost) {
    for (const f of h.records) {
      const k = factsKey(f);
      const d = distinct.get(k) ?? { facts: f, hosts: [] };
      d.hosts.push(h.host);
      distinct.set(k, d);
    }
  }
  if (distinct.size === 0) {
    throw new DeployError(
      `release ${deployId} is no longer on the servers and no deploy log records a kept archive of it (it was deployed with artifact: false, or with artifact: auto from a public repository, or its upload failed), so there is nothing to restore; deploy that version again instead`,
      { phase: "restore" }
    );
  }
  if (distinct.size > 1) {
    const which = [...distinct.values()].map((d) => `${d.hosts.join(", ")}: ${describeFacts(d.facts)}`).join("; ");
    throw new DeployError(
      `the deploy logs record different archives for release ${deployId} (${which}); nothing was restored \u2014 check the servers' .php-deploy/log.jsonl, or deploy that version again instead`,
      { phase: "restore" }
    );
  }
  const only = [...distinct.values()][0];
  return { record: only.facts, missingOn: perHost.filter((h) => h.records.length === 0).map((h) => h.host) };
}
async function recordedArchive(settings, reporter, opts, deployId) {
  const phases = new Phases(reporter);
  const connect = opts.connect ?? connectAll;
  const sessions = await phases.run("connect", () => connect(settings, reporter, opts.signal));
  let perHost;
  try {
    perHost = await phases.run(
      "check",
      () => Promise.all(
        sessions.map(async (session) => {
          const out = await runRemote(session, recordsCommand({ deployPath: settings.deployPath, deployId }, ARCHIVE_EVENT), reporter, { phase: "restore" });
          return { host: session.label, records: parseArchiveRecords(out.all("record"), deployId) };
        })
      )
    );
  } finally {
    for (const s of sessions) s.close();
  }
  const { record, missingOn } = agreeOnRecord(perHost, deployId);
  for (const host of missingOn) reporter.warn(`${host}: its deploy log has no record of release ${deployId}'s archive; using the one the other hosts record`);
  reporter.info(`the deploy log records the archive of ${deployId} as ${describeFacts(record)}`);
  return record;
}
async function restoreFromArchive(settings, reporter, opts, store, id) {
  reporter.info(`release ${id} is no longer on the server; restoring it from its kept archive`);
  const record = await recordedArchive(settings, reporter, opts, id);
  const fetched = await store.fetch(id, record);
  try {
    const extracted = await extractArchive(fetched.open());
    try {
      const { runDeploy: runDeploy2 } = await import("./deploy-COEUMGHA.js");
      const result = await runDeploy2(
        { ...settings, command: "deploy", source: extracted.dir, version: "restored", dryRun: false, onceCommands: [] },
        reporter,
        { ...opts, fixedDeployId: id, artifacts: void 0 }
      );
      return { ...result, command: "rollback", restored: true };
    } finally {
      await removeTempDir(extracted.dir);
    }
  } finally {
    await fetched.cleanup();
  }
}

// src/engine/manage.ts
async function withSessions(settings, reporter, phases, fn, opts = {}) {
  const connect = opts.connect ?? connectAll;
  const sessions = await phases.run("connect", () => connect(settings, reporter));
  try {
    return await fn(sessions);
  } finally {
    for (const s of sessions) s.close();
  }
}
async function runRollback(settings, reporter, opts = {}) {
  try {
    return await rollbackOnServers(settings, reporter, opts);
  } catch (err) {
    const e = asDeployError(err);
    const id = settings.deployId;
    if (!id || e.details.missingRelease !== id || !opts.artifacts) throw err;
    return restoreFromArchive(settings, reporter, opts, opts.artifacts, id);
  }
}
async function rollbackOnServers(settings, reporter, opts) {
  const started = Date.now();
  const phases = new Phases(reporter);
  const token = `rollback.${randomUUID()}`;
  const hosts = await withSessions(settings, reporter, phases, async (sessions) => {
    let target = settings.deployId;
    if (sessions.length > 1) {
      target = await phases.run("check", () => agreeOnTarget(sessions, settings, reporter));
    }
    const s = { ...settings, deployId: target };
    return phases.run(
      "rollback",
      () => Promise.all(
        sessions.map(async (session) => {
          const out = await runRemote(session, rollbackCommand(s, token), reporter, {
            phase: "rollback",
            onPhase: (name) => reporter.info(`${session.label}: ${name}`)
          });
          const target2 = out.result("target") ?? "";
          const switchMs = Number(out.result("switch_ms") ?? NaN);
          reporter.info(`${session.label}: live release is now ${target2} (switch took ${switchMs} ms)`);
          return {
            host: session.label,
            ok: true,
            deployId: target2,
            previousDeployId: out.result("previous") ?? "",
            releasePath: `${settings.deployPath}/releases/${target2}`,
            rolledBack: out.result("rolled_back") === "true",
            switchMs
          };
        })
      )
    );
  }, opts);
  opts.onReleased?.();
  const first = hosts[0];
  return {
    command: "rollback",
    deployId: first?.deployId ?? "",
    previousDeployId: first?.previousDeployId ?? "",
    releasePath: first?.releasePath ?? "",
    version: "",
    rolledBack: hosts.some((h) => h.rolledBack),
    durationMs: Date.now() - started,
    hosts,
    phases: phases.timings
  };
}
async function agreeOnTarget(sessions, settings, reporter) {
  const listings = await Promise.all(
    sessions.map(async (session) => ({ session, out: await runRemote(session, listCommand(settings), reporter, { phase: "check" }) }))
  );
  let target = settings.deployId;
  if (!target) {
    const first = listings[0];
    const live = first.out.result("live") ?? "";
    const older = first.out.releases.filter((r) => r.status === "ok" && r.id < live).map((r) => r.id).sort();
    target = older.at(-1);
    if (!target) throw new DeployError(`there is no completed release before ${live || "the live one"} to roll back to`, { host: first.session.label, phase: "check" });
  }
  const missing = listings.filter(({ out }) => !out.releases.some((r) => r.id === target && (r.status === "ok" || r.status === "live")));
  if (missing.length === listings.length && !listings.some(({ out }) => out.releases.some((r) => r.id === target))) {
    const e = new DeployError(`release ${target} does not exist on any host (see 'php-deploy list')`, { phase: "check" });
    e.details.missingRelease = target;
    throw e;
  }
  if (missing.length > 0) {
    throw new DeployError(
      `release ${target} is missing or incomplete on ${missing.map((m) => m.session.label).join(", ")}; nothing was switched (see 'php-deploy list')`,
      { phase: "check" }
    );
  }
  reporter.info(`rolling back ${sessions.length} hosts to ${target}`);
  return target;
}
async function runList(settings, reporter) {
  const phases = new Phases(reporter);
  return withSessions(
    settings,
    reporter,
    phases,
    (sessions) => phases.run(
      "list",
      () => Promise.all(
        sessions.map(async (session) => {
          const out = await runRemote(session, listCommand(settings), reporter, { phase: "list" });
          const live = out.result("live") ?? "";
          return {
            host: session.label,
            live,
            lock: out.lock,
            releases: out.releases.map((r) => ({
              id: r.id,
              status: r.status,
              version: r.meta.version,
              created: r.meta.created,
              live: r.id === live
            }))
          };
        })
      )
    )
  );
}
async function runUnlock(settings, reporter) {
  const phases = new Phases(reporter);
  return withSessions(
    settings,
    reporter,
    phases,
    (sessions) => phases.run(
      "unlock",
      () => Promise.all(
        sessions.map(async (session) => {
          try {
            const out = await runRemote(session, unlockCommand(settings), reporter, { phase: "unlock" });
            return { host: session.label, removed: out.result("unlocked") };
          } catch (err) {
            throw asDeployError(err, session.label, "unlock");
          }
        })
      )
    )
  );
}

// src/engine/cleanup.ts
async function abortDeploy(settings, state, reporter, reason) {
  const sessions = await connectAll(settings, reporter);
  try {
    await Promise.all(
      sessions.map(async (session) => {
        try {
          await runRemote(session, abortCommand(settings, state, reason), reporter, { phase: "abort" });
        } catch (err) {
          reporter.warn(asDeployError(err, session.label, "abort").oneLine());
        }
      })
    );
  } finally {
    for (const s of sessions) s.close();
  }
}

// src/engine/index.ts
async function runDeploy(...args) {
  const { runDeploy: run } = await import("./deploy-COEUMGHA.js");
  return run(...args);
}

export {
  runRollback,
  runList,
  runUnlock,
  abortDeploy,
  runDeploy
};
