// Bundles the three entry points into dist/ (ESM, one file each; the remote bash script is embedded
// as text) and renders action.yml from the options table.
// dist/THIRD_PARTY_NOTICES.txt lists every package the bundles contain, with its license text (the
// bundles themselves keep no license comments).
// `node scripts/bundle.mjs --check` builds in memory and fails when dist/ or action.yml differ from
// what is on disk: CI uses it to refuse a stale dist/.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { thirdPartyNotices } from './notices.mjs';

const check = process.argv.includes('--check');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const banner = [
  "import { createRequire as __phpDeployCreateRequire } from 'node:module';",
  "import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';",
  "import { dirname as __phpDeployDirname } from 'node:path';",
  // var, not const: with code split into chunks a bundled ESM module may declare these at the top of
  // its chunk too (@azure/storage-common does: `var __filename;`), and two vars may coexist.
  'var require = __phpDeployCreateRequire(import.meta.url);',
  'var __filename = __phpDeployFileURLToPath(import.meta.url);',
  'var __dirname = __phpDeployDirname(__filename);',
].join('\n');

const result = await build({
  entryPoints: { index: 'src/action/main.ts', post: 'src/action/post.ts', cli: 'src/cli/main.ts' },
  outdir: 'dist',
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Code that only some commands use (the artifact client with the Azure SDK and Octokit, ~3.8 MB)
  // goes into chunks loaded by dynamic import(): a rollback or a deploy without artifacts never
  // parses it. Shared code of the entry points lands in chunks too.
  splitting: true,
  chunkNames: '[name]-[hash]',
  legalComments: 'none',
  loader: { '.sh': 'text', '.php': 'text' },
  // ssh2's optional native addon: without it ssh2 uses Node's crypto.
  external: ['*.node', 'cpu-features'],
  banner: { js: banner },
  define: { __PHP_DEPLOY_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  metafile: true,
});

const actionYml = await build({
  entryPoints: ['src/config/action-yml.ts'],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  logLevel: 'warning',
});
const { renderActionYml } = await import(
  `data:text/javascript;base64,${Buffer.from(actionYml.outputFiles[0].text).toString('base64')}`
);

const files = new Map(result.outputFiles.map((f) => [f.path, f.text]));
files.set(join(process.cwd(), 'action.yml'), renderActionYml());
files.set(join(process.cwd(), 'dist', 'THIRD_PARTY_NOTICES.txt'), thirdPartyNotices(Object.keys(result.metafile.inputs)));

if (check) {
  const stale = [];
  for (const [path, text] of files) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(path.replace(`${process.cwd()}/`, ''));
  }
  const extra = existsSync('dist') ? readdirSync('dist').filter((f) => !files.has(join(process.cwd(), 'dist', f))) : [];
  if (stale.length || extra.length) {
    console.error(`dist/ is stale (${[...stale, ...extra].join(', ')}): run 'npm run bundle' and commit the result`);
    process.exit(1);
  }
  console.log('dist/ and action.yml are up to date');
} else {
  // File by file, written aside and renamed into place: a CLI started while another test run rebuilds
  // dist/ (the e2e setup does) never finds a file missing or half-written.
  mkdirSync('dist', { recursive: true });
  for (const [path, text] of files) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, path.endsWith('cli.js') ? { mode: 0o755 } : {});
    renameSync(tmp, path);
  }
  // Stale files (old chunks) only after the new ones are in place.
  for (const f of readdirSync('dist')) {
    if (!files.has(join(process.cwd(), 'dist', f)) && !f.endsWith('.tmp')) rmSync(join('dist', f), { recursive: true, force: true });
  }
}
