/**
 * Runs once before the e2e project: starts the local server stack (idempotent, fast when it already
 * runs) and builds dist/, because the e2e tests run the bundled CLI and action exactly as users do.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function run(what: string, cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`e2e setup: ${what} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export default function setup(): void {
  run('starting the stack (bash test/stack/stack.sh start; run "stack.sh install" first on a new machine)', 'bash', [
    'test/stack/stack.sh',
    'start',
  ]);
  run('npm run bundle', 'npm', ['run', '--silent', 'bundle']);
}
