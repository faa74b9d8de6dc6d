// The one reader of the stack's facts: `bash test/stack/stack.sh env` (the local stack) and
// `bash test/stack/hosts.sh env` (the namespace hosts) print `export NAME=value` lines, the value
// single-quoted when it needs it (env_line in test/stack/lib.sh). Used by the e2e tests
// (test/e2e/helpers.ts, multi-host) and the benchmarks (scripts/bench.mjs, scripts/bench/fanout.mjs);
// shell scripts read the same lines with `eval` (scripts/demo.sh). Types: env.d.mts.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** `export NAME=value` lines as a map, quotes removed. Other lines are ignored. */
export function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replace(/'\\''/g, "'");
    env[m[1]] = v;
  }
  return env;
}

/**
 * Runs `bash test/stack/<script>.sh env` and parses it; throws an Error carrying the script's own
 * message when it fails (hosts.sh: "hosts are not up").
 */
export function readEnv(script) {
  const path = join(HERE, `${script}.sh`);
  let text;
  try {
    text = execFileSync('bash', [path, 'env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const why = String(e.stderr ?? '').trim() || e.message;
    throw new Error(`bash ${path} env failed: ${why}`);
  }
  return parseEnv(text);
}
