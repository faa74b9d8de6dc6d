/**
 * The notification step of examples/workflows/deploy.yml, run as the runner would run it (its env:
 * expressions filled from a real deploy's outputs, its script by bash -eo pipefail) against a local
 * webhook that records what it receives: a deploy, a deploy switched back, and no webhook configured.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACTION_MAIN, actionInputs, appCopy, breakHealthOutsideCheck, newSite, ROOT, runAction, type ActionRun, type Site } from './helpers.js';

interface Step {
  name?: string;
  id?: string;
  env?: Record<string, string>;
  run?: string;
}
const workflow = yaml.load(readFileSync(join(ROOT, 'examples/workflows/deploy.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
const notify = Object.values(workflow.jobs)[0]!.steps.find((s) => s.name === 'Notify')!;

let server: Server;
let hookUrl = '';
const received: { contentType?: string; body: string }[] = [];
let site: Site;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ contentType: req.headers['content-type'], body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  site = newSite('notify');
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The step's env: with ${{ … }} filled in from the deploy step's run, then its script run by bash. */
async function runNotify(deployStep: ActionRun, secrets: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const context: Record<string, string> = {
    'steps.deploy.outcome': deployStep.code === 0 ? 'success' : 'failure',
    'github.server_url': 'https://github.com',
    'github.repository': 'acme/shop',
    'github.run_id': '4242',
  };
  for (const [k, v] of Object.entries(deployStep.outputs)) context[`steps.deploy.outputs.${k}`] = v;
  for (const [k, v] of Object.entries(secrets)) context[`secrets.${k}`] = v;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [k, v] of Object.entries(notify.env ?? {})) env[k] = v.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, path: string) => context[path] ?? '');
  // Not spawnSync: the webhook runs in this process and must answer meanwhile.
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', notify.run!], { env, timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stdout, stderr };
}

describe('the notification example', () => {
  test('posts what was deployed and what to roll back to', async () => {
    const first = await runAction(ACTION_MAIN, actionInputs(site, appCopy()));
    expect(first.code, first.stdout).toBe(0);
    const second = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy()), 'release-version': 'v2.0.0' });
    expect(second.code, second.stdout).toBe(0);
    received.length = 0;
    const r = await runNotify(second, { SLACK_WEBHOOK_URL: hookUrl });
    expect(r.code, r.stderr).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]!.contentType).toBe('application/json');
    const { text } = JSON.parse(received[0]!.body) as { text: string };
    expect(text).toMatch(
      new RegExp(`^Deployed v2\\.0\\.0 \\(${second.outputs['deploy-id']}\\) to production in \\d+ s\\. Roll back to ${first.outputs['deploy-id']}: https://github\\.com/acme/shop/actions/runs/4242$`),
    );
  });

  test('says so when the deploy failed its checks and was switched back', async () => {
    const live = await runAction(ACTION_MAIN, actionInputs(site, appCopy()));
    const failed = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy(breakHealthOutsideCheck)), 'health-timeout': '2' });
    expect(failed.code).toBe(1);
    expect(failed.outputs['rolled-back']).toBe('true');
    received.length = 0;
    const r = await runNotify(failed, { SLACK_WEBHOOK_URL: hookUrl });
    expect(r.code, r.stderr).toBe(0);
    const { text } = JSON.parse(received[0]!.body) as { text: string };
    expect(text).toMatch(new RegExp(`failed its checks and was switched back to ${live.outputs['deploy-id']}: https://`));
  });

  test('without the secret it does nothing and does not fail the job', async () => {
    const run = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy()), command: 'list' });
    received.length = 0;
    const r = await runNotify(run, {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SLACK_WEBHOOK_URL is not set: no notification');
    expect(received).toHaveLength(0);
  });
});
