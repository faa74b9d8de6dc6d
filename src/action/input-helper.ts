/**
 * Action inputs → raw inputs and run context. Reads every option of the table through the runner's environment (runner.ts)
 * (INPUT_<NAME>), masks secrets, and derives defaults (tag, sha, run URL) from GITHUB_* variables.
 */
import * as core from './runner.js';
import { OPTIONS, type RawInputs } from '../config/options.js';
import type { RunContext } from '../config/settings.js';

export function readActionInputs(): RawInputs {
  const raw: RawInputs = {};
  for (const o of OPTIONS) {
    raw[o.name] = core.getInput(o.name, { trimWhitespace: o.name !== 'ssh-key' && o.name !== 'ssh-key-passphrase' });
    if (!raw[o.name] && o.deprecatedName) raw[o.name] = core.getInput(o.deprecatedName);
    const value = raw[o.name];
    if (o.secret && value) {
      for (const line of value.split('\n')) if (line.trim().length > 8) core.setSecret(line.trim());
      core.setSecret(value);
    }
  }
  return raw;
}

export function actionRunContext(env: NodeJS.ProcessEnv): RunContext {
  const runUrl =
    env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
      ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const logContext: Record<string, string> = { tool: 'action' };
  if (env.GITHUB_RUN_ID) logContext.run_id = env.GITHUB_RUN_ID;
  if (env.GITHUB_RUN_ATTEMPT) logContext.run_attempt = env.GITHUB_RUN_ATTEMPT;
  if (env.GITHUB_ACTOR) logContext.actor = env.GITHUB_ACTOR;
  if (env.GITHUB_REPOSITORY) logContext.repository = env.GITHUB_REPOSITORY;
  if (runUrl) logContext.run = runUrl;
  return {
    sha: env.GITHUB_SHA,
    tag: env.GITHUB_REF_TYPE === 'tag' ? env.GITHUB_REF_NAME : undefined,
    who: runUrl ? `${env.GITHUB_ACTOR ?? 'github'} via ${runUrl}` : 'github-actions',
    logContext,
  };
}
