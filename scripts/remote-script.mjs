// Prints the joined remote program (src/remote/script.ts: the modules of src/remote/modules with the
// PHP programs put in), exactly as the bundle embeds it. Used by scripts/lint-remote.sh.
import { build } from 'esbuild';

const out = await build({
  entryPoints: ['src/remote/script.ts'],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  loader: { '.sh': 'text', '.php': 'text' },
  logLevel: 'warning',
});
const { REMOTE_SCRIPT } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
process.stdout.write(REMOTE_SCRIPT);
