#!/usr/bin/env node
import { createRequire as __phpDeployCreateRequire } from 'node:module';
import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';
import { dirname as __phpDeployDirname } from 'node:path';
var require = __phpDeployCreateRequire(import.meta.url);
var __filename = __phpDeployFileURLToPath(import.meta.url);
var __dirname = __phpDeployDirname(__filename);
import {
  renderListing,
  renderPlan,
  renderSummary
} from "./chunk-BTUMXLWA.js";
import {
  runDeploy,
  runList,
  runRollback,
  runUnlock
} from "./chunk-AZRMDI6U.js";
import {
  COMMANDS,
  InputError,
  OPTIONS,
  asDeployError,
  envName,
  parseSettings
} from "./chunk-HYMXMBRH.js";
import "./chunk-CPYSVADA.js";

// src/cli/main.ts
import { execFileSync } from "node:child_process";
import { hostname, userInfo } from "node:os";

// src/version.ts
var VERSION = true ? "0.1.0" : fromPackageJson();

// src/cli/input-helper.ts
import { readFileSync } from "node:fs";
var LIST_OPTIONS = /* @__PURE__ */ new Set(["hosts", "exclude", "shared", "before-switch", "after-switch", "migrations-path"]);
var CLI_SWITCHES = {
  "--help": "help",
  "-h": "help",
  "--version": "version",
  "-V": "version",
  "--json": "json",
  "--verbose": "verbose",
  "-v": "verbose"
};
function flagTable() {
  const flags = /* @__PURE__ */ new Map();
  for (const o of OPTIONS) {
    flags.set(`--${o.name}`, { option: o, file: false });
    if (o.fileVariant) flags.set(`--${o.name}-file`, { option: o, file: true });
  }
  return flags;
}
function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
function suggestFlag(flag, known) {
  let best;
  let bestD = Infinity;
  for (const k of known) {
    if (!k.startsWith("--")) continue;
    const d = editDistance(flag, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  const word = flag.replace(/^-+/, "");
  if (best && (bestD <= Math.max(2, Math.floor(word.length / 4)) || best.startsWith(flag) || best.includes(word))) return best;
  return void 0;
}
function unknownFlag(flag, flags) {
  const hint = suggestFlag(flag, [...flags.keys(), ...Object.keys(CLI_SWITCHES)]);
  return new InputError("arguments", `unknown option ${flag}${hint ? `; did you mean ${hint}?` : ""} (see php-deploy --help)`);
}
function fileErrorWords(err) {
  const code = err.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory, not a file";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return err.message;
  }
}
function readInputFile(flag, path) {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(flag, `cannot read ${path}: ${fileErrorWords(err)}`);
  }
}
function parseCli(argv, env) {
  const flags = flagTable();
  const out = { raw: {}, help: false, version: false, json: false, verbose: false };
  const given = /* @__PURE__ */ new Map();
  const positionals = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || !arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : void 0;
    const cliSwitch = CLI_SWITCHES[name];
    if (cliSwitch) {
      if (inline !== void 0) throw new InputError(name, "takes no value");
      out[cliSwitch] = true;
      continue;
    }
    const spec = flags.get(name);
    if (!spec) throw unknownFlag(name, flags);
    let value;
    if (spec.option.boolean && !spec.file) {
      value = inline ?? "true";
    } else if (inline !== void 0) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === void 0 || next.startsWith("--") && (flags.has(next.split("=")[0]) || next in CLI_SWITCHES)) {
        throw new InputError(name, `needs a value${next ? ` (got the option ${next})` : ""}`);
      }
      value = next;
      i++;
    }
    const seen = given.get(spec.option);
    if (seen && (!LIST_OPTIONS.has(spec.option.name) || seen.file !== spec.file)) {
      const what = seen.flag === name ? `given twice ('${seen.values[0]}' and '${value}')` : `given both as ${seen.flag} and ${name}`;
      throw new InputError(name, `${what}; give it once`);
    }
    if (seen) seen.values.push(value);
    else given.set(spec.option, { flag: name, values: [value], file: spec.file });
  }
  const [commandWord, ...extra] = positionals;
  if (extra.length > 0) throw new InputError("arguments", `unexpected '${extra[0]}' (see php-deploy --help)`);
  for (const o of OPTIONS) {
    const g = given.get(o);
    const envFile = o.fileVariant ? env[`${envName(o.name)}_FILE`] : void 0;
    const envValue = env[envName(o.name)] || (o.deprecatedName ? env[envName(o.deprecatedName)] : void 0);
    if (g?.file) out.raw[o.name] = g.values.map((p) => readInputFile(g.flag.slice(2), p)).join("\n");
    else if (g) out.raw[o.name] = g.values.join("\n");
    else if (envFile) out.raw[o.name] = readInputFile(`${envName(o.name)}_FILE`, envFile);
    else out.raw[o.name] = envValue;
  }
  const command = commandWord ?? (out.raw.command?.trim() || void 0);
  if (command !== void 0 && !COMMANDS.includes(command) && !out.help) {
    const near = COMMANDS.find((c) => editDistance(c, command) <= 2);
    throw new InputError("command", `'${command}' is not one of ${COMMANDS.join(", ")}${near ? `; did you mean ${near}?` : ""} (see php-deploy --help)`);
  }
  if (command !== void 0 && COMMANDS.includes(command)) {
    out.command = command;
    out.raw.command = command;
  }
  return out;
}
function missingRequired(raw) {
  const missing = [];
  for (const o of OPTIONS) {
    if (!o.required || (raw[o.name] ?? "").trim() !== "") continue;
    missing.push(o.fileVariant ? `--${o.name}-file (or --${o.name})` : `--${o.name}`);
  }
  return missing;
}

// src/cli/help.ts
var GROUPS = [
  {
    title: "Connection",
    names: ["hosts", "ssh-user", "ssh-key", "ssh-key-passphrase", "known-hosts", "ssh-proxy-jump", "ssh-timeout", "deploy-path"]
  },
  {
    title: "Release",
    names: [
      "source",
      "exclude",
      "release-version",
      "deploy-id",
      "shared",
      "document-root",
      "before-switch",
      "after-switch",
      "reload-command",
      "opcache-reset",
      "keep-releases",
      "backup-command",
      "backup-keep"
    ]
  },
  { title: "Checks", names: ["health-url", "health-timeout", "health-expect-release", "fpm-socket", "migrations", "migrations-path"] },
  { title: "Many servers", names: ["strategy", "batch-size", "rolling-failure", "max-parallel"] },
  { title: "Safety", names: ["dry-run", "lock-timeout", "lock-ttl"] }
];
var NOT_CLI = /* @__PURE__ */ new Set(["command", "artifact", "artifact-retention-days", "github-token"]);
var SUMMARIES = {
  deploy: "ship --source to every host, check it through php-fpm, switch, check again",
  rollback: "switch back to --deploy-id (default: the release before the live one)",
  list: "show each host's releases and which one is live",
  unlock: "remove a stuck lock and say who held it"
};
var CONNECT = "--hosts deploy@web1.example.com --ssh-key-file ~/.ssh/deploy_key --known-hosts-file known_hosts --deploy-path /var/www/app";
var EXAMPLES = {
  deploy: [
    `php-deploy deploy ${CONNECT} --source build --shared .env --shared storage --health-url http://127.0.0.1/up --fpm-socket /run/php/php8.2-fpm.sock`,
    `php-deploy deploy ${CONNECT} --source build --dry-run`
  ],
  rollback: [`php-deploy rollback ${CONNECT}`, `php-deploy rollback ${CONNECT} --deploy-id 20261122T101530Z-a1b2c3d`],
  list: [`php-deploy list ${CONNECT} --json`],
  unlock: [`php-deploy unlock ${CONNECT}`]
};
function helpWidth(columns = process.stdout.columns, env = process.env) {
  const n = columns || Number(env.COLUMNS) || 80;
  return Math.max(60, Math.min(120, n));
}
function wrap(text, width, indent, firstIndent = indent) {
  const room = Math.max(10, width - indent);
  const words = text.split(/\s+/).filter(Boolean).flatMap((w) => w.length <= room ? [w] : w.match(new RegExp(`.{1,${room}}`, "g")) ?? [w]);
  const lines = [];
  let line = " ".repeat(firstIndent);
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = " ".repeat(indent) + w;
    } else {
      line += (empty ? "" : " ") + w;
    }
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}
var COL = 28;
var GLUE = "";
function example(command, width) {
  const glued = command.replace(/(--[\w-]+) (?!-)(\S+)/g, `$1${GLUE}$2`);
  const lines = wrap(glued, width - 2, 6, 2).map((l) => l.replaceAll(GLUE, " "));
  return lines.map((l, i) => i < lines.length - 1 ? `${l} \\` : l);
}
function entry(flag, text, width) {
  const head = `  ${flag}`;
  if (head.length + 2 > COL) return [head, ...wrap(text, width, COL)];
  const [first = "", ...rest] = wrap(text, width, COL);
  return [head.padEnd(COL) + first.slice(COL), ...rest];
}
function describe(o) {
  const text = o.description.replace(/`/g, "").trim();
  const notes = [text.endsWith(".") ? text : `${text}.`];
  if (o.required && !/\brequired\b/i.test(text)) notes.push("Required.");
  if (o.default && !o.boolean) notes.push(`Default: ${/^[\w/:-]+$/.test(o.default) ? o.default : `'${o.default}'`}.`);
  if (LIST_OPTIONS.has(o.name)) notes.push("Repeat the flag for more.");
  return notes.join(" ");
}
function optionLines(o, width) {
  const value = o.boolean ? "" : " <value>";
  if (o.fileVariant) {
    const env = `PHP_DEPLOY_${o.name.toUpperCase().replace(/-/g, "_")}`;
    return [
      ...entry(`--${o.name}-file <path>`, `${describe(o)} Read from this file.`, width),
      ...entry(`--${o.name} <text>`, `The same, as text${o.secret ? ` (visible in ps: prefer the file or ${env})` : ""}.`, width)
    ];
  }
  return entry(`--${o.name}${value}`, describe(o), width);
}
function applies(o, command) {
  return !NOT_CLI.has(o.name) && (!o.commands || o.commands.includes(command));
}
function commandHelp(command, width = helpWidth()) {
  const summary = SUMMARIES[command];
  const lines = [`Usage: php-deploy ${command} [options]`, "", ...wrap(`${summary[0].toUpperCase()}${summary.slice(1)}.`, width, 0), ""];
  const groups = GROUPS.map((g) => ({ title: g.title, options: g.names.map((n) => OPTIONS.find((o) => o.name === n)) }));
  groups.push({ title: "Other", options: OPTIONS.filter((o) => !GROUPS.some((g) => g.names.includes(o.name))) });
  for (const g of groups) {
    const opts = g.options.filter((o) => o !== void 0 && applies(o, command));
    if (opts.length === 0) continue;
    lines.push(`${g.title}:`);
    for (const o of opts) {
      lines.push(...optionLines(o, width));
    }
    lines.push("");
  }
  lines.push(
    "Output:",
    ...entry("--json", "print the result (or the failure) as JSON on stdout", width),
    ...entry("-v, --verbose", "print each remote command and how long it took", width),
    ...entry("-h, --help", "this help", width),
    ...entry("-V, --version", "print php-deploy's version", width),
    "",
    ...wrap("Every option is also the environment variable PHP_DEPLOY_<NAME> (PHP_DEPLOY_DEPLOY_PATH, PHP_DEPLOY_SSH_KEY_FILE, \u2026); a flag wins.", width, 0),
    "",
    "Examples:"
  );
  for (const ex of EXAMPLES[command]) lines.push(...example(ex, width), "");
  lines.push(...wrap("Exit status: 0 done, 1 failed (one line names host, phase and cause), 2 bad input.", width, 0));
  return `${lines.join("\n")}
`;
}
function generalHelp(width = helpWidth()) {
  const lines = [
    "Usage: php-deploy <command> [options]",
    "",
    ...wrap("Zero-downtime deploys of a CI-built PHP release over SSH, with sub-second rollback.", width, 0),
    "",
    "Commands:"
  ];
  for (const [c, s] of Object.entries(SUMMARIES)) lines.push(...entry(c, s, width));
  lines.push(
    "",
    ...wrap("Run 'php-deploy <command> --help' for the options of a command, grouped, with examples.", width, 0),
    "",
    "Every command needs:",
    ...entry("--hosts <value>", "servers as [user@]host[:port]", width),
    ...entry("--ssh-key-file <path>", "private key of the deploy user", width),
    ...entry("--known-hosts-file <path>", "known_hosts lines for the servers (ssh-keyscan output you checked)", width),
    ...entry("--deploy-path <value>", "absolute path on the server", width),
    "",
    ...entry("-h, --help", "this help", width),
    ...entry("-V, --version", "print php-deploy's version", width),
    "",
    "Example:",
    ...example(EXAMPLES.deploy[0], width),
    ""
  );
  return `${lines.join("\n")}
`;
}
function usageText() {
  return [
    "Usage: php-deploy <deploy|rollback|list|unlock> [options]",
    "No command given. Run 'php-deploy --help' for the commands, 'php-deploy deploy --help' for the options.",
    ""
  ].join("\n");
}

// src/cli/main.ts
var StderrReporter = class {
  constructor(verbose) {
    this.verbose = verbose;
  }
  verbose;
  phase = "";
  t0 = Date.now();
  stamp() {
    return `[${((Date.now() - this.t0) / 1e3).toFixed(1).padStart(5)}s]`;
  }
  info(m) {
    process.stderr.write(`${this.stamp()} ${this.phase ? `${this.phase}: ` : ""}${m}
`);
  }
  warn(m) {
    process.stderr.write(`${this.stamp()} warning: ${m}
`);
  }
  error(m) {
    process.stderr.write(`${this.stamp()} error: ${m}
`);
  }
  debug(m) {
    if (this.verbose) process.stderr.write(`${this.stamp()} debug: ${m}
`);
  }
  startPhase(name) {
    this.phase = name;
  }
  endPhase() {
    this.phase = "";
  }
  mask() {
  }
};
function git(source, args) {
  try {
    return execFileSync("git", ["-C", source, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || void 0;
  } catch {
    return void 0;
  }
}
function runContext(source, env, deploy) {
  const sha = env.GITHUB_SHA || (deploy ? git(source, ["rev-parse", "HEAD"]) : void 0);
  const tag = env.GITHUB_REF_TYPE === "tag" ? env.GITHUB_REF_NAME : deploy ? git(source, ["describe", "--tags", "--exact-match"]) : void 0;
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
  }
  return { sha, tag, who: `${user}@${hostname()}`, logContext: { tool: "cli" } };
}
var jsonOutput = false;
async function main() {
  const cli = parseCli(process.argv.slice(2), process.env);
  jsonOutput = cli.json;
  if (cli.version) {
    process.stdout.write(`php-deploy ${VERSION}
`);
    return 0;
  }
  if (cli.help) {
    process.stdout.write(cli.command ? commandHelp(cli.command) : generalHelp());
    return 0;
  }
  if (!cli.command) {
    process.stderr.write(usageText());
    return 2;
  }
  const missing = missingRequired(cli.raw);
  if (missing.length > 1) {
    throw new InputError(
      "arguments",
      `missing ${missing.join(", ")}: each is required (also as PHP_DEPLOY_<NAME>; see php-deploy ${cli.command} --help)`
    );
  }
  const settings = parseSettings(cli.raw, runContext(cli.raw.source || ".", process.env, cli.command === "deploy"));
  if (settings.artifact === "true") {
    throw new InputError("artifact", "release archives are kept as GitHub artifacts, which needs the GitHub Actions runtime; use the action, or leave artifact at auto");
  }
  const reporter = new StderrReporter(cli.verbose || process.env.PHP_DEPLOY_VERBOSE === "1");
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig) => {
    signals += 1;
    if (signals === 1) {
      reporter.warn(`${sig}: cancelling \u2014 undoing what is not live yet; a switch in progress is finished and checked`);
      controller.abort(new Error(`cancelled by ${sig}`));
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  switch (cli.command) {
    case "deploy":
    case "rollback": {
      const result = cli.command === "deploy" ? await runDeploy(settings, reporter, { signal: controller.signal }) : await runRollback(settings, reporter, { signal: controller.signal });
      if (result.plan) {
        process.stdout.write(cli.json ? JSON.stringify(result.plan, null, 2) + "\n" : renderPlan(result.plan, settings.deployPath));
        return result.plan.refused ? 1 : 0;
      }
      if (cli.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      else {
        const verb = cli.command === "deploy" ? "deployed" : "rolled back to";
        const warn = result.rolledBack ? " (but it failed its checks and was switched back)" : "";
        process.stdout.write(
          `${verb} ${result.deployId}${result.version ? ` (${result.version})` : ""} on ${result.hosts.length} host(s) in ${(result.durationMs / 1e3).toFixed(2)} s${warn}
`
        );
        if (result.previousDeployId) process.stdout.write(`previous release: ${result.previousDeployId}
`);
      }
      if (process.env.PHP_DEPLOY_SUMMARY_FILE) {
        const { appendFileSync } = await import("node:fs");
        appendFileSync(process.env.PHP_DEPLOY_SUMMARY_FILE, renderSummary(result, settings.deployPath));
      }
      return result.rolledBack ? 1 : 0;
    }
    case "list": {
      const listings = await runList(settings, reporter);
      process.stdout.write(cli.json ? JSON.stringify(listings, null, 2) + "\n" : renderListing(listings));
      return 0;
    }
    case "unlock": {
      const results = await runUnlock(settings, reporter);
      for (const r of results) process.stdout.write(`${r.host}: ${r.removed ? `removed the lock ${r.removed}` : "was not locked"}
`);
      return 0;
    }
  }
}
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    const e = asDeployError(err);
    process.stderr.write(`php-deploy: ${e.oneLine()}
`);
    if (jsonOutput) {
      const failed = { ok: false, error: e.oneLine(), host: e.host, phase: e.phase, rolledBack: e.details.rolledBack === true, ...e.details };
      process.stdout.write(JSON.stringify(failed, null, 2) + "\n");
    }
    if (process.env.PHP_DEPLOY_DEBUG && e.stack) process.stderr.write(`${e.stack}
`);
    process.exitCode = err instanceof InputError ? 2 : 1;
  }
);
