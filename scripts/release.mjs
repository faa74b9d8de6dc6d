// Cuts a release: node scripts/release.mjs X.Y.Z [--push]
//
// Refuses unless the work tree is clean, dist/ is the bundle of what is committed, and vX.Y.Z is new
// and higher than the version in package.json (or equal to it, for the first release). Then, in one
// commit "Release vX.Y.Z": package.json's version, the `uses: <repo>@vX` lines of README.md and
// examples/, a CHANGELOG.md entry (the commit subjects since the previous release) and dist/ rebuilt
// (the CLI prints the version it was built with). Tags that commit vX.Y.Z (annotated) and moves the
// major tag vX to it, which is what `uses: php-deploy/php-deploy@vX` resolves. --push pushes the
// branch and both tags to origin; without it the commands to do so are printed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

function die(msg) {
  console.error(`release: ${msg}`);
  process.exit(1);
}

function git(args, opts = {}) {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();
}

function compare(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** `git+https://github.com/owner/name.git` → `owner/name`. */
export function repoSlug(pkg) {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url ?? '';
  const m = /github(?:\.com[/:]|:)([^/]+\/[^/.]+?)(?:\.git)?$/.exec(url);
  if (!m) die(`package.json has no GitHub repository (got '${url}')`);
  return m[1];
}

/** The files whose `uses: <slug>@vN` lines name the release users pin. */
function usesFiles() {
  const out = ['README.md'];
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(f)) out.push(p);
    }
  };
  if (existsSync('examples')) walk('examples');
  return out;
}

function changelogEntry(tag, previous) {
  const range = previous ? `${previous}..HEAD` : 'HEAD';
  const subjects = git(['log', '--no-merges', '--format=%s', range])
    .split('\n')
    .filter((s) => s && !/^Release v\d/.test(s));
  const date = new Date().toISOString().slice(0, 10);
  const lines = subjects.length > 0 ? subjects.map((s) => `- ${s}`) : ['- No changes since the previous release.'];
  return `## ${tag} — ${date}\n\n${lines.join('\n')}\n`;
}

function main() {
  const args = process.argv.slice(2);
  const version = args.find((a) => !a.startsWith('-'));
  const push = args.includes('--push');
  if (!version || !SEMVER.test(version)) die('usage: node scripts/release.mjs X.Y.Z [--push]');
  const tag = `v${version}`;
  const major = `v${version.split('.')[0]}`;

  git(['rev-parse', '--show-toplevel']);
  const dirty = git(['status', '--porcelain']);
  if (dirty) die(`the work tree has uncommitted changes; commit or stash them first:\n${dirty}`);
  if (git(['tag', '--list', tag])) die(`${tag} already exists`);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const previous = git(['tag', '--list', 'v*.*.*', '--sort=-v:refname']).split('\n').filter((t) => /^v\d+\.\d+\.\d+$/.test(t))[0];
  if (previous && compare(version, previous.slice(1)) <= 0) die(`${tag} is not higher than the last release ${previous}`);
  if (compare(version, pkg.version) < 0) die(`${tag} is lower than package.json's version ${pkg.version}`);
  try {
    execFileSync('node', ['scripts/bundle.mjs', '--check'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    die(`dist/ is not the bundle of the committed source (${String(err.stderr ?? '').trim()}); run npm run bundle, commit, try again`);
  }

  // The version everywhere it is written down.
  pkg.version = version;
  writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
  if (existsSync('package-lock.json')) {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
    lock.version = version;
    if (lock.packages?.['']) lock.packages[''].version = version;
    writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
  }
  const slug = repoSlug(pkg);
  const usesRe = new RegExp(`(uses:\\s*${slug.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')})@v\\d+\\b`, 'g');
  for (const f of usesFiles()) {
    const text = readFileSync(f, 'utf8');
    const next = text.replace(usesRe, `$1@${major}`);
    if (next !== text) writeFileSync(f, next);
  }
  const header = '# Changelog\n\nReleases of php-deploy. Pin the major version: `uses: ' + slug + '@vN` follows the newest vN.x.y.\n\n';
  // Earlier entries are kept below the new one.
  const old = existsSync('CHANGELOG.md') ? readFileSync('CHANGELOG.md', 'utf8') : '';
  const at = old.indexOf('\n## ');
  const earlier = at === -1 ? '' : `\n${old.slice(at + 1)}`;
  writeFileSync('CHANGELOG.md', `${header}${changelogEntry(tag, previous)}${earlier}`);
  execFileSync('node', ['scripts/bundle.mjs'], { stdio: 'inherit' });

  git(['add', '-A', 'package.json', 'CHANGELOG.md', 'dist', 'action.yml', ...usesFiles(), ...(existsSync('package-lock.json') ? ['package-lock.json'] : [])]);
  git(['commit', '-q', '-m', `Release ${tag}`]);
  git(['tag', '-a', tag, '-m', `php-deploy ${tag}`]);
  git(['tag', '-f', '-a', major, '-m', `php-deploy ${major} (currently ${tag})`]);
  execFileSync('node', ['scripts/bundle.mjs', '--check'], { stdio: 'inherit' });

  const branch = git(['rev-parse', '--abbrev-ref', 'HEAD']);
  const pushes = [
    ['push', 'origin', branch, tag],
    ['push', '--force', 'origin', major],
  ];
  if (push) for (const p of pushes) execFileSync('git', p, { stdio: 'inherit' });
  console.log(`released ${tag}: tagged ${git(['rev-parse', '--short', 'HEAD'])}, ${major} moved to it`);
  if (!push) console.log(`publish with:\n${pushes.map((p) => `  git ${p.join(' ')}`).join('\n')}\n  npm publish`);
}

main();
