#!/usr/bin/env node
/**
 * php-deploy CLI: translates argv/env into Settings, runs the engine, prints progress on stderr and
 * the result on stdout. Exit 0 done, 1 failed, 2 bad input.
 */
import { execFileSync } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { parseSettings, type RunContext } from '../config/settings.js';
import { runDeploy, runList, runRollback, runUnlock } from '../engine/index.js';
import { asDeployError, InputError } from '../errors.js';
import type { Reporter } from '../report/reporter.js';
import { renderListing, renderPlan, renderSummary } from '../report/summary.js';
import { VERSION } from '../version.js';
import { commandHelp, generalHelp, usageText } from './help.js';
import { missingRequired, parseCli } from './input-helper.js';

class StderrReporter implements Reporter {
  private phase = '';
  private readonly t0 = Date.now();
  constructor(private readonly verbose: boolean) {}
  private stamp(): string {
    return `[${((Date.now() - this.t0) / 1000).toFixed(1).padStart(5)}s]`;
  }
  info(m: string): void {
    process.stderr.write(`${this.stamp()} ${this.phase ? `${this.phase}: ` : ''}${m}\n`);
  }
  warn(m: string): void {
    process.stderr.write(`${this.stamp()} warning: ${m}\n`);
  }
  error(m: string): void {
    process.stderr.write(`${this.stamp()} error: ${m}\n`);
  }
  debug(m: string): void {
    if (this.verbose) process.stderr.write(`${this.stamp()} debug: ${m}\n`);
  }
  startPhase(name: string): void {
    this.phase = name;
  }
  endPhase(): void {
    this.phase = '';
  }
  mask(): void {}
}

function git(source: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', source, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Who runs it; for a deploy also the source's commit and tag (two git calls, that only a deploy records). */
function runContext(source: string, env: NodeJS.ProcessEnv, deploy: boolean): RunContext {
  const sha = env.GITHUB_SHA || (deploy ? git(source, ['rev-parse', 'HEAD']) : undefined);
  const tag = env.GITHUB_REF_TYPE === 'tag' ? env.GITHUB_REF_NAME : deploy ? git(source, ['describe', '--tags', '--exact-match']) : undefined;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return { sha, tag, who: `${user}@${hostname()}`, logContext: { tool: 'cli' } };
}

/** --json: a failure is printed on stdout as JSON too (the one line stays on stderr). */
let jsonOutput = false;

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2), process.env);
  jsonOutput = cli.json;
  if (cli.version) {
    process.stdout.write(`php-deploy ${VERSION}\n`);
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
  // Several missing inputs in one message (one alone gets its own, more specific, message).
  const missing = missingRequired(cli.raw);
  if (missing.length > 1) {
    throw new InputError(
      'arguments',
      `missing ${missing.join(', ')}: each is required (also as PHP_DEPLOY_<NAME>; see php-deploy ${cli.command} --help)`,
    );
  }
  const settings = parseSettings(cli.raw, runContext(cli.raw.source || '.', process.env, cli.command === 'deploy'));
  if (settings.artifact === 'true') {
    throw new InputError('artifact', 'release archives are kept as GitHub artifacts, which needs the GitHub Actions runtime; use the action, or leave artifact at auto');
  }
  const reporter = new StderrReporter(cli.verbose || process.env.PHP_DEPLOY_VERBOSE === '1');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      reporter.warn(`${sig}: cancelling — undoing what is not live yet; a switch in progress is finished and checked`);
      controller.abort(new Error(`cancelled by ${sig}`));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  switch (cli.command) {
    case 'deploy':
    case 'rollback': {
      const result =
        cli.command === 'deploy'
          ? await runDeploy(settings, reporter, { signal: controller.signal })
          : await runRollback(settings, reporter, { signal: controller.signal });
      if (result.plan) {
        process.stdout.write(cli.json ? JSON.stringify(result.plan, null, 2) + '\n' : renderPlan(result.plan, settings.deployPath));
        return result.plan.refused ? 1 : 0;
      }
      if (cli.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        const verb = cli.command === 'deploy' ? 'deployed' : 'rolled back to';
        const warn = result.rolledBack ? ' (but it failed its checks and was switched back)' : '';
        process.stdout.write(
          `${verb} ${result.deployId}${result.version ? ` (${result.version})` : ''} on ${result.hosts.length} host(s) in ${(result.durationMs / 1000).toFixed(2)} s${warn}\n`,
        );
        if (result.previousDeployId) process.stdout.write(`previous release: ${result.previousDeployId}\n`);
      }
      if (process.env.PHP_DEPLOY_SUMMARY_FILE) {
        const { appendFileSync } = await import('node:fs');
        appendFileSync(process.env.PHP_DEPLOY_SUMMARY_FILE, renderSummary(result, settings.deployPath));
      }
      return result.rolledBack ? 1 : 0;
    }
    case 'list': {
      const listings = await runList(settings, reporter);
      process.stdout.write(cli.json ? JSON.stringify(listings, null, 2) + '\n' : renderListing(listings));
      return 0;
    }
    case 'unlock': {
      const results = await runUnlock(settings, reporter);
      for (const r of results) process.stdout.write(`${r.host}: ${r.removed ? `removed the lock ${r.removed}` : 'was not locked'}\n`);
      return 0;
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = asDeployError(err);
    process.stderr.write(`php-deploy: ${e.oneLine()}\n`);
    if (jsonOutput) {
      const failed = { ok: false, error: e.oneLine(), host: e.host, phase: e.phase, rolledBack: e.details.rolledBack === true, ...e.details };
      process.stdout.write(JSON.stringify(failed, null, 2) + '\n');
    }
    if (process.env.PHP_DEPLOY_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = err instanceof InputError ? 2 : 1;
  },
);
