// The third-party notices for what dist/ bundles: one section per package (name, version, license,
// and the license/notice files the package ships), from the input paths of esbuild's metafile.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `node_modules/a/node_modules/@s/b/lib/x.js` → `node_modules/a/node_modules/@s/b`. */
export function packageDir(input) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m ? m[1] : undefined;
}

export function thirdPartyNotices(inputs) {
  const dirs = [...new Set(inputs.map(packageDir).filter(Boolean))];
  const seen = new Map();
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const key = `${pkg.name}@${pkg.version}`;
    if (seen.has(key)) continue;
    let license = pkg.license ?? (Array.isArray(pkg.licenses) ? pkg.licenses.map((l) => l.type ?? l).join(' OR ') : undefined);
    if (license && typeof license === 'object') license = license.type;
    const texts = readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8').replace(/\r\n/g, '\n').trim());
    seen.set(key, { name: pkg.name, version: pkg.version, license: license ?? 'not stated in package.json', texts });
  }
  const entries = [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
  const out = [
    'Third-party software bundled in dist/ by scripts/bundle.mjs (generated; do not edit).',
    `php-deploy itself is under the MIT license (see LICENSE). The bundles contain ${entries.length} packages:`,
    '',
  ];
  for (const e of entries) {
    out.push('='.repeat(80), `${e.name} ${e.version}`, `License: ${e.license}`, '');
    if (e.texts.length === 0) out.push('(the package ships no license file)', '');
    for (const t of e.texts) out.push(t, '');
  }
  return out.join('\n');
}
