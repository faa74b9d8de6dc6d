// Bundles the three entry points into dist/ (ESM, Node 24). The remote bash script is
// embedded as text so that dist/ is self-contained.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const banner = [
  "import { createRequire as __phpDeployCreateRequire } from 'node:module';",
  "import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';",
  "import { dirname as __phpDeployDirname } from 'node:path';",
  'const require = __phpDeployCreateRequire(import.meta.url);',
  'const __filename = __phpDeployFileURLToPath(import.meta.url);',
  'const __dirname = __phpDeployDirname(__filename);',
].join('\n');

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    index: 'src/action/main.ts',
    post: 'src/action/post.ts',
    cli: 'src/cli/main.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.js' },
  splitting: false,
  legalComments: 'none',
  loader: { '.sh': 'text', '.php': 'text' },
  external: ['*.node', 'cpu-features'],
  banner: { js: banner },
  logLevel: 'warning',
});
