import { createRequire as __phpDeployCreateRequire } from 'node:module';
import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';
import { dirname as __phpDeployDirname } from 'node:path';
var require = __phpDeployCreateRequire(import.meta.url);
var __filename = __phpDeployFileURLToPath(import.meta.url);
var __dirname = __phpDeployDirname(__filename);
import {
  OPTIONS
} from "./chunk-HYMXMBRH.js";

// src/action/runner.ts
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync } from "node:fs";
import { EOL } from "node:os";
var ExitCode = { Success: 0, Failure: 1 };
function escapeData(s) {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s) {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
function issueCommand(command, properties, message) {
  const props = Object.entries(properties).filter(([, v]) => v).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(",");
  process.stdout.write(`::${command}${props ? ` ${props}` : ""}::${escapeData(message)}${EOL}`);
}
function keyValueMessage(name, value) {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`Unexpected input: contains the delimiter "${delimiter}"`);
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`;
}
function fileCommand(kind, fallback, name, value) {
  const file = process.env[`GITHUB_${kind}`] || "";
  if (!file) {
    if (kind === "OUTPUT") process.stdout.write(EOL);
    issueCommand(fallback, { name }, value);
    return;
  }
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  appendFileSync(file, `${keyValueMessage(name, value)}${EOL}`, { encoding: "utf8" });
}
function getInput(name, opts = {}) {
  const val = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "";
  return opts.trimWhitespace === false ? val : val.trim();
}
var setOutput = (name, value) => fileCommand("OUTPUT", "set-output", name, value);
var saveState = (name, value) => fileCommand("STATE", "save-state", name, value);
var getState = (name) => process.env[`STATE_${name}`] || "";
var setSecret = (secret) => issueCommand("add-mask", {}, secret);
var info = (message) => void process.stdout.write(message + EOL);
var warning = (message, props = {}) => issueCommand("warning", { title: props.title }, message);
var error = (message, props = {}) => issueCommand("error", { title: props.title }, message);
var startGroup = (name) => issueCommand("group", {}, name);
var endGroup = () => issueCommand("endgroup", {}, "");
var debug = (message) => issueCommand("debug", {}, message);
function setFailed(message) {
  process.exitCode = ExitCode.Failure;
  error(message);
}
function writeSummary(markdown) {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) throw new Error("Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.");
  appendFileSync(file, markdown, { encoding: "utf8" });
}

// src/action/input-helper.ts
function readActionInputs() {
  const raw = {};
  for (const o of OPTIONS) {
    raw[o.name] = getInput(o.name, { trimWhitespace: o.name !== "ssh-key" && o.name !== "ssh-key-passphrase" });
    if (!raw[o.name] && o.deprecatedName) raw[o.name] = getInput(o.deprecatedName);
    const value = raw[o.name];
    if (o.secret && value) {
      for (const line of value.split("\n")) if (line.trim().length > 8) setSecret(line.trim());
      setSecret(value);
    }
  }
  return raw;
}
function actionRunContext(env) {
  const runUrl = env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : void 0;
  const logContext = { tool: "action" };
  if (env.GITHUB_RUN_ID) logContext.run_id = env.GITHUB_RUN_ID;
  if (env.GITHUB_RUN_ATTEMPT) logContext.run_attempt = env.GITHUB_RUN_ATTEMPT;
  if (env.GITHUB_ACTOR) logContext.actor = env.GITHUB_ACTOR;
  if (env.GITHUB_REPOSITORY) logContext.repository = env.GITHUB_REPOSITORY;
  if (runUrl) logContext.run = runUrl;
  return {
    sha: env.GITHUB_SHA,
    tag: env.GITHUB_REF_TYPE === "tag" ? env.GITHUB_REF_NAME : void 0,
    who: runUrl ? `${env.GITHUB_ACTOR ?? "github"} via ${runUrl}` : "github-actions",
    logContext
  };
}

// src/action/reporter.ts
var ActionReporter = class {
  open = false;
  info(m) {
    info(m);
  }
  warn(m, where) {
    warning(m, { title: title(where) });
  }
  error(m, where) {
    error(m, { title: title(where) });
  }
  startPhase(name) {
    if (this.open) endGroup();
    startGroup(name);
    this.open = true;
  }
  endPhase() {
    if (this.open) endGroup();
    this.open = false;
  }
  mask(secret) {
    setSecret(secret);
  }
  /** Shown when the run has step debug logging on (ACTIONS_STEP_DEBUG or "Re-run with debug logging"). */
  debug(m) {
    debug(m);
  }
};
function title(where) {
  if (!where?.host && !where?.phase) return void 0;
  return `php-deploy${where.host ? ` ${where.host}` : ""}${where.phase ? ` (${where.phase})` : ""}`;
}

// src/action/main-state.ts
var CLEANUP_STATE = "cleanup";

export {
  ExitCode,
  setOutput,
  saveState,
  getState,
  info,
  warning,
  error,
  setFailed,
  writeSummary,
  readActionInputs,
  actionRunContext,
  ActionReporter,
  CLEANUP_STATE
};
