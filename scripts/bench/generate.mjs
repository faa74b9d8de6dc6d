// Deterministic generator of a realistic PHP application tree (~10k files, ~70 MB, mostly vendor/)
// and its "next version": ~2 % of the files edited, a few added and removed, and fresh mtimes on
// every file (as after a CI checkout). Output: <root>/gen-<GEN_VERSION>-<seed>/{v1,v2}, reused when
// already complete for the same seed and generator version.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rng } from './prng.mjs';
import {
  cap,
  changelog,
  composerJson,
  jsonData,
  license,
  minifiedJs,
  phpClass,
  phpDataArray,
  pseudoWord,
  readme,
  template,
  Vocab,
} from './phpgen.mjs';

/** Bump when the generated content changes: cached trees of another version are not reused. */
export const GEN_VERSION = 4;

const TARGET_FILES = 10_000;
const V1_MTIME = Date.UTC(2024, 4, 1, 12, 0, 0) / 1000;

const PKG_FAMOUS = [
  ['symfony', 'http-kernel', 900], ['symfony', 'console', 420], ['symfony', 'http-foundation', 260], ['symfony', 'dependency-injection', 380],
  ['symfony', 'routing', 150], ['symfony', 'validator', 700], ['symfony', 'form', 620], ['symfony', 'serializer', 330],
  ['symfony', 'intl', 120], ['symfony', 'cache', 210], ['symfony', 'event-dispatcher', 40], ['symfony', 'translation', 230],
  ['doctrine', 'orm', 900], ['doctrine', 'dbal', 520], ['doctrine', 'collections', 40], ['doctrine', 'migrations', 260],
  ['laravel', 'framework', 1200], ['guzzlehttp', 'guzzle', 90], ['guzzlehttp', 'psr7', 60], ['monolog', 'monolog', 220],
  ['nesbot', 'carbon', 400], ['league', 'flysystem', 130], ['twig', 'twig', 420], ['phpstan', 'phpdoc-parser', 140],
  ['nikic', 'php-parser', 330], ['ramsey', 'uuid', 170], ['predis', 'predis', 520], ['psr', 'log', 10],
];

/** A file to write: path, mode, content (Buffer or string). */
function file(path, content, mode = 0o644) {
  return { path, content, mode };
}

function sha(s) {
  return createHash('sha256').update(s).digest('hex');
}

/** Lays out the packages (names, namespaces, class lists, file sizes) from the layout RNG. */
function planPackages(seed) {
  const rng = new Rng(`${seed}:layout`);
  const pkgs = [];
  const names = new Set();
  let count = 0;
  const budget = TARGET_FILES - 620; // the app and vendor/composer take the rest
  const famous = rng.shuffle([...PKG_FAMOUS]);
  while (count < budget) {
    let vendorName;
    let packageName;
    let n;
    if (famous.length) {
      [vendorName, packageName, n] = famous.pop();
      n = Math.round(n * (0.35 + 0.2 * rng.float()));
    } else {
      vendorName = rng.chance(0.3) && pkgs.length ? rng.pick(pkgs).vendorName : pseudoWord(rng, 2);
      packageName = `${pseudoWord(rng, rng.int(1, 2))}${rng.chance(0.4) ? '-' + pseudoWord(rng, 1) : ''}`;
      n = Math.max(4, Math.min(400, Math.round(rng.logNormal(24, 1.0))));
    }
    const full = `${vendorName}/${packageName}`;
    if (names.has(full)) continue;
    names.add(full);
    n = Math.min(n, budget - count + 4);
    count += n;
    pkgs.push({ vendorName, packageName, nFiles: n, pkgSeed: `${seed}:pkg:${full}` });
  }
  return pkgs;
}

/** Expands one package into file specs (content is produced later, per file, from its own RNG). */
function expandPackage(p, seed) {
  const rng = new Rng(p.pkgSeed);
  const vocab = new Vocab(rng);
  const ns = (s) => s.split(/[-_]/).map(cap).join('');
  p.rootNs = `${ns(p.vendorName)}\\${ns(p.packageName)}`;
  p.version = `${rng.int(1, 7)}.${rng.int(0, 9)}.${rng.int(0, 30)}`;
  p.author = vocab.person();
  p.exception = cap(vocab.noun()) + 'Exception';
  p.header = rng.chance(0.5)
    ? `/*\n * This file is part of the ${p.vendorName}/${p.packageName} package.\n *\n * (c) ${p.author}\n *\n * For the full copyright and license information, please view the LICENSE\n * file that was distributed with this source code.\n */\n`
    : '';
  p.vocab = vocab;
  const extras = [];
  extras.push({ rel: 'composer.json', kind: 'composer' });
  if (rng.chance(0.9)) extras.push({ rel: 'LICENSE', kind: 'license' });
  if (rng.chance(0.8)) extras.push({ rel: 'README.md', kind: 'readme' });
  if (rng.chance(0.4)) extras.push({ rel: 'CHANGELOG.md', kind: 'changelog', size: Math.round(rng.logNormal(9000, 0.8)) });
  const data = [];
  if (p.packageName === 'intl' || p.packageName === 'carbon' || rng.chance(0.04)) {
    const nd = rng.int(3, 8);
    for (let i = 0; i < nd; i++) data.push({ rel: `Resources/data/${pseudoWord(rng, 1)}${i}.php`, kind: 'data', size: Math.round(rng.logNormal(260_000, 0.7)) });
  }
  if (rng.chance(0.12)) {
    const nt = rng.int(2, 12);
    for (let i = 0; i < nt; i++) data.push({ rel: `Resources/translations/${vocab.noun()}.${pseudoWord(rng, 1).slice(0, 2)}${i}.json`, kind: 'json', size: Math.round(rng.logNormal(6000, 0.7)) });
  }
  const nClasses = Math.max(2, p.nFiles - extras.length - data.length);
  const nSub = Math.max(1, Math.round(nClasses / rng.int(8, 25)));
  p.subNs = Array.from({ length: nSub }, () => cap(vocab.noun()) + (rng.chance(0.3) ? cap(vocab.noun()) : ''));
  p.subNs = [...new Set(p.subNs)];
  const classNames = new Set();
  const classes = [];
  while (classes.length < nClasses) {
    const sub = rng.pick(p.subNs);
    const name = vocab.className();
    const key = `${sub}/${name}`;
    if (classNames.has(key)) continue;
    classNames.add(key);
    const deep = rng.chance(0.2) ? `/${cap(vocab.noun())}` : '';
    classes.push({ sub: sub + deep, name, size: Math.max(400, Math.min(90_000, Math.round(rng.logNormal(2750, 0.85)))) });
  }
  p.classes = [...new Set(classes.map((c) => c.name))];
  p.classFiles = classes;
  p.extras = extras;
  p.data = data;
  p.dir = `vendor/${p.vendorName}/${p.packageName}`;
  return p;
}

/** The content of one package file (variant 'v1', or an edit of it for 'v2'). */
function renderPackageFile(p, spec, seed, requires) {
  const v = p.vocab;
  v.rng = new Rng(`${seed}:file:${p.dir}/${spec.rel}`);
  const pkgCtx = { rootNs: p.rootNs, subNs: p.subNs, classes: p.classes, exception: p.exception, author: p.author, header: p.header, packageName: p.packageName, vendorName: p.vendorName, version: p.version };
  switch (spec.kind) {
    case 'class':
      return phpClass(v, pkgCtx, `${p.rootNs}\\${spec.sub.replace(/\//g, '\\')}`, spec.name, spec.size);
    case 'composer':
      return composerJson(v, pkgCtx, requires);
    case 'license':
      return license(v, pkgCtx, 2010 + v.rng.int(0, 12));
    case 'readme':
      return readme(v, pkgCtx);
    case 'changelog':
      return changelog(v, pkgCtx, spec.size);
    case 'data':
      return phpDataArray(v, spec.size);
    case 'json':
      return jsonData(v, spec.size);
    default:
      throw new Error(`unknown kind ${spec.kind}`);
  }
}

/** A small, realistic edit of a text file: a new method or paragraph, and a few reworded comment lines. */
function editText(text, rng, vocab, pkgCtx) {
  const lines = text.split('\n');
  vocab.rng = rng;
  const commentIdx = [];
  for (let i = 0; i < lines.length; i++) if (/^\s+\* [A-Z]/.test(lines[i]) || /^\s*\/\/ /.test(lines[i])) commentIdx.push(i);
  for (let k = rng.int(1, 3); k > 0 && commentIdx.length; k--) {
    const i = rng.pick(commentIdx);
    lines[i] = lines[i].replace(/^(\s*(?:\*|\/\/) ).*$/, `$1${vocab.sentence(5, 14)}`);
  }
  const closers = [];
  for (let i = 0; i < lines.length; i++) if (lines[i] === '    }') closers.push(i);
  if (closers.length && pkgCtx) {
    const at = rng.pick(closers);
    const extra = phpClass(vocab, pkgCtx, 'X', 'Tmp', 0, { maxMethods: 1 });
    const body = extra.slice(extra.lastIndexOf('\n    /**'), extra.lastIndexOf('}\n')).replace(/\n$/, '').replace(/function (\w+)\(/, 'function $1Since$1(');
    lines.splice(at + 1, 0, ...body.split('\n'));
  } else {
    lines.splice(Math.max(1, lines.length - 2), 0, text.startsWith('<?php') ? `    // ${vocab.sentence(6, 18)}` : vocab.sentence(6, 18));
  }
  return lines.join('\n');
}

function classmap(pkgs) {
  const rows = [];
  for (const p of pkgs) for (const c of p.classFiles) rows.push([`${p.rootNs}\\${c.sub.replace(/\//g, '\\')}\\${c.name}`, `/${p.vendorName}/${p.packageName}/src/${c.sub}/${c.name}.php`]);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return rows;
}

/** One package as composer.lock and vendor/composer/installed.json describe it (same versions, same reference). */
function lockEntry(p) {
  const ref = sha(p.pkgSeed + p.version).slice(0, 40);
  const v = p.vocab;
  v.rng = new Rng(`${p.pkgSeed}:lock:${p.version}`);
  return {
    name: `${p.vendorName}/${p.packageName}`,
    version: `v${p.version}`,
    version_normalized: `${p.version}.0`,
    source: { type: 'git', url: `https://github.com/${p.vendorName}/${p.packageName}.git`, reference: ref },
    dist: { type: 'zip', url: `https://api.github.com/repos/${p.vendorName}/${p.packageName}/zipball/${ref}`, reference: ref, shasum: '' },
    require: { php: '>=8.1' },
    time: new Date(Date.UTC(2023, 0, 1) + (parseInt(ref.slice(0, 8), 16) % 500) * 86_400_000).toISOString().replace('.000Z', '+00:00'),
    type: 'library',
    'installation-source': 'dist',
    autoload: { 'psr-4': { [`${p.rootNs}\\`]: 'src/' } },
    'notification-url': 'https://packagist.org/downloads/',
    license: ['MIT'],
    authors: [{ name: p.author.split(' <')[0], email: p.author.split(' <')[1].slice(0, -1) }],
    description: v.sentence(5, 12).replace(/\.$/, ''),
    homepage: `https://github.com/${p.vendorName}/${p.packageName}`,
    keywords: Array.from({ length: v.rng.int(1, 5) }, () => v.noun()),
    support: { issues: `https://github.com/${p.vendorName}/${p.packageName}/issues`, source: `https://github.com/${p.vendorName}/${p.packageName}/tree/v${p.version}` },
  };
}

function vendorComposerFiles(pkgs, seed) {
  const out = [];
  const rows = classmap(pkgs);
  const esc = (s) => s.replace(/\\/g, '\\\\');
  out.push(file('vendor/composer/autoload_classmap.php', `<?php\n\n// autoload_classmap.php @generated by Composer\n\n$vendorDir = dirname(__DIR__);\n$baseDir = dirname($vendorDir);\n\nreturn array(\n${rows.map(([c, f]) => `    '${esc(c)}' => $vendorDir . '${f}',\n`).join('')});\n`));
  out.push(file('vendor/composer/autoload_static.php', `<?php\n\n// autoload_static.php @generated by Composer\n\nnamespace Composer\\Autoload;\n\nclass ComposerStaticInit${sha(seed).slice(0, 32)}\n{\n    public static $prefixLengthsPsr4 = array (\n${pkgs.map((p) => `        '${esc(p.rootNs)}\\\\' => ${p.rootNs.length + 1},\n`).join('')}    );\n\n    public static $classMap = array (\n${rows.map(([c, f]) => `        '${esc(c)}' => __DIR__ . '/..' . '${f}',\n`).join('')}    );\n}\n`));
  out.push(file('vendor/composer/autoload_psr4.php', `<?php\n\n// autoload_psr4.php @generated by Composer\n\n$vendorDir = dirname(__DIR__);\n$baseDir = dirname($vendorDir);\n\nreturn array(\n    'App\\\\' => array($baseDir . '/src'),\n${pkgs.map((p) => `    '${esc(p.rootNs)}\\\\' => array($vendorDir . '/${p.vendorName}/${p.packageName}/src'),\n`).join('')});\n`));
  const installed = { packages: pkgs.map((p) => ({ ...lockEntry(p), install_path: `../${p.vendorName}/${p.packageName}` })), dev: false, 'dev-package-names': [] };
  out.push(file('vendor/composer/installed.json', JSON.stringify(installed, null, 4) + '\n'));
  const lock = {
    _readme: ['This file locks the dependencies of your project to a known state', 'Read more about it at https://getcomposer.org/doc/01-basic-usage.md#installing-dependencies', 'This file is @generated automatically'],
    'content-hash': sha(pkgs.map((p) => `${p.vendorName}/${p.packageName}@${p.version}`).join(',')).slice(0, 32),
    packages: pkgs.map((p) => lockEntry(p)).sort((a, b) => (a.name < b.name ? -1 : 1)),
    'packages-dev': [],
    aliases: [],
    'minimum-stability': 'stable',
    'stability-flags': {},
    'prefer-stable': true,
    'prefer-lowest': false,
    platform: { php: '>=8.1' },
    'platform-dev': {},
    'plugin-api-version': '2.6.0',
  };
  out.push(file('composer.lock', JSON.stringify(lock, null, 4) + '\n'));
  out.push(file('vendor/composer/installed.php', `<?php return array(\n    'root' => array('name' => 'acme/shop', 'pretty_version' => 'dev-main', 'version' => 'dev-main', 'type' => 'project', 'install_path' => __DIR__ . '/../../', 'dev' => false),\n    'versions' => array(\n${pkgs.map((p) => `        '${p.vendorName}/${p.packageName}' => array('pretty_version' => 'v${p.version}', 'version' => '${p.version}.0', 'reference' => '${sha(p.pkgSeed + p.version).slice(0, 40)}', 'type' => 'library', 'install_path' => __DIR__ . '/../${p.vendorName}/${p.packageName}', 'aliases' => array(), 'dev_requirement' => false),\n`).join('')}    ),\n);\n`));
  out.push(file('vendor/composer/platform_check.php', `<?php\n\n// platform_check.php @generated by Composer\n\n$issues = array();\n\nif (!(PHP_VERSION_ID >= 80100)) {\n    $issues[] = 'Your Composer dependencies require a PHP version ">= 8.1.0".';\n}\n`));
  out.push(file('vendor/composer/LICENSE', license(new Vocab(new Rng('composer')), { author: 'Nils Adermann, Jordi Boggiano <j.boggiano@seld.be>' }, 2016)));
  // A working PSR-4 autoloader (the health endpoint loads it on every request).
  out.push(file('vendor/composer/ClassLoader.php', `<?php\n\nnamespace Composer\\Autoload;\n\nfinal class ClassLoader\n{\n    /** @var array<string, string> */\n    private array $prefixes = [];\n\n    public function addPsr4(string $prefix, string $dir): void\n    {\n        $this->prefixes[$prefix] = rtrim($dir, '/');\n    }\n\n    public function register(): void\n    {\n        spl_autoload_register(function (string $class): void {\n            foreach ($this->prefixes as $prefix => $dir) {\n                if (str_starts_with($class, $prefix)) {\n                    $file = $dir . '/' . str_replace('\\\\', '/', substr($class, strlen($prefix))) . '.php';\n                    if (is_file($file)) {\n                        require $file;\n                    }\n                    return;\n                }\n            }\n        });\n    }\n}\n`));
  out.push(file('vendor/autoload.php', `<?php\n\n// autoload.php (benchmark app): a minimal PSR-4 loader over vendor/composer/autoload_psr4.php\n\nrequire_once __DIR__ . '/composer/ClassLoader.php';\n\n$loader = new \\Composer\\Autoload\\ClassLoader();\n$loader->addPsr4('App\\\\', dirname(__DIR__) . '/src');\n$loader->register();\n\nreturn $loader;\n`));
  for (const b of ['phpunit', 'doctrine', 'console', 'carbon', 'php-parse', 'var-dump-server']) {
    out.push(file(`vendor/bin/${b}`, `#!/usr/bin/env php\n<?php\n\n/**\n * Proxy PHP file generated by Composer\n *\n * This file includes the referenced bin path (../${b}/bin/${b})\n */\n\nnamespace Composer;\n\n$binPath = __DIR__ . '/../${b}/bin/${b}';\n\ninclude $binPath;\n`, 0o755));
  }
  return out;
}

function indexPhp(release) {
  return `<?php

declare(strict_types=1);

// Front controller of the php-deploy benchmark app. It names its release, and answers /health.

require dirname(__DIR__) . '/vendor/autoload.php';

const APP_RELEASE = '${release}';

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
header('X-App-Release: ' . APP_RELEASE);

if ($path === '/health' || $path === '/health.php') {
    header('Content-Type: text/plain');
    echo 'ok ', APP_RELEASE, "\\n";
    return;
}

header('Content-Type: text/html; charset=utf-8');
echo '<!doctype html><title>acme/shop</title><p>release ', APP_RELEASE, "</p>\\n";
`;
}

/** The application's own files. `variant` 'v1'/'v2' changes the release label and a few things. */
function appFiles(seed, variant, release) {
  const rng = new Rng(`${seed}:app`);
  const v = new Vocab(rng, 30);
  const pkgCtx = { rootNs: 'App', subNs: ['Controller', 'Entity', 'Repository', 'Service', 'Command', 'EventSubscriber', 'Form', 'Security', 'Message', 'MessageHandler', 'Twig'], classes: [], exception: 'DomainException', author: v.person(), header: '', packageName: 'shop', vendorName: 'acme', version: '1.0.0' };
  const specs = [];
  const seen = new Set();
  while (specs.length < 330) {
    const sub = rng.pick(pkgCtx.subNs);
    const base = v.className().replace(/(Interface|Trait)$/, '');
    const name = base + (sub === 'Controller' || sub === 'Repository' || sub === 'Command' ? sub : '');
    if (seen.has(name)) continue;
    seen.add(name);
    specs.push({ rel: `src/${sub}/${name}.php`, kind: 'class', sub, name, size: Math.round(rng.logNormal(3500, 0.6)) });
    pkgCtx.classes.push(name);
  }
  for (let i = 0; i < 24; i++) specs.push({ rel: `config/${v.noun()}${i}.php`, kind: 'config', size: Math.round(rng.logNormal(2500, 0.6)) });
  for (let i = 0; i < 120; i++) specs.push({ rel: `resources/views/${v.noun()}/${v.verb()}${i}.blade.php`, kind: 'template', size: Math.round(rng.logNormal(3000, 0.6)) });
  for (let i = 0; i < 20; i++) specs.push({ rel: `resources/lang/${pseudoWord(rng, 1).slice(0, 2)}${i}.json`, kind: 'json', size: Math.round(rng.logNormal(15000, 0.5)) });
  for (let i = 0; i < 40; i++) specs.push({ rel: `migrations/Version2024${String(1000 + i * 37).padStart(6, '0')}.php`, kind: 'class', sub: 'Migrations', name: `Version2024${String(1000 + i * 37).padStart(6, '0')}`, size: Math.round(rng.logNormal(2000, 0.5)) });
  const out = [];
  for (const s of specs) {
    v.rng = new Rng(`${seed}:file:${s.rel}`);
    let text;
    if (s.kind === 'class') text = phpClass(v, pkgCtx, s.sub === 'Migrations' ? 'DoctrineMigrations' : `App\\${s.sub}`, s.name, s.size);
    else if (s.kind === 'config') text = `<?php\n\nreturn ${phpDataArray(v, s.size).slice('<?php\n\nreturn '.length)}`;
    else if (s.kind === 'template') text = template(v, s.size);
    else text = jsonData(v, s.size);
    out.push(file(s.rel, text));
  }
  const hash = sha(`${seed}:${variant}:assets`).slice(0, 8);
  v.rng = new Rng(`${seed}:assets:${variant === 'v2' ? 'v2' : 'v1'}`);
  out.push(file(`public/build/app.${hash}.js`, minifiedJs(v, 900_000)));
  v.rng = new Rng(`${seed}:assets:vendor-js`);
  out.push(file('public/build/vendor.3f9a21c7.js', minifiedJs(v, 1_400_000)));
  out.push(file('public/build/app.4be1d0aa.css', minifiedJs(new Vocab(new Rng(`${seed}:css`)), 220_000).replace(/function /g, '.').replace(/var /g, '#')));
  const bin = new Rng(`${seed}:binary`);
  for (let i = 0; i < 8; i++) out.push(file(`public/images/${v.noun()}-${i}.png`, bin.bytes(bin.int(30_000, 260_000))));
  for (let i = 0; i < 4; i++) out.push(file(`public/fonts/inter-${['regular', 'medium', 'semibold', 'bold'][i]}.woff2`, bin.bytes(bin.int(80_000, 120_000))));
  out.push(file('public/favicon.ico', bin.bytes(15_086)));
  out.push(file('public/robots.txt', 'User-agent: *\nDisallow:\n'));
  out.push(file('public/.htaccess', '<IfModule mod_rewrite.c>\n    RewriteEngine On\n    RewriteCond %{REQUEST_FILENAME} !-f\n    RewriteRule ^ index.php [L]\n</IfModule>\n'));
  out.push(file('public/index.php', indexPhp(release)));
  out.push(file('bin/console', '#!/usr/bin/env php\n<?php\n\nrequire dirname(__DIR__) . \'/vendor/autoload.php\';\n\nexit(0);\n', 0o755));
  out.push(file('composer.json', JSON.stringify({ name: 'acme/shop', type: 'project', require: { php: '>=8.1' }, autoload: { 'psr-4': { 'App\\': 'src/' } } }, null, 4) + '\n'));
  out.push(file('README.md', `# acme/shop\n\nThe benchmark application of php-deploy (generated, seed ${seed}).\n`));
  return out;
}

/** Builds both versions as lists of files (path, mode, content). */
export function buildVersions(seed) {
  const pkgs = planPackages(seed).map((p) => expandPackage(p, seed));
  const allNames = pkgs.map((p) => `${p.vendorName}/${p.packageName}`);
  const reqRng = new Rng(`${seed}:requires`);
  const requires = new Map(pkgs.map((p) => [p, reqRng.shuffle([...allNames]).slice(0, reqRng.int(0, 5)).filter((n) => n !== `${p.vendorName}/${p.packageName}`)]));

  // v1
  const v1 = [];
  const pkgFiles = new Map();
  for (const p of pkgs) {
    const list = [];
    for (const e of p.extras) list.push({ rel: e.rel, spec: e });
    for (const d of p.data) list.push({ rel: d.rel, spec: d });
    for (const c of p.classFiles) list.push({ rel: `src/${c.sub}/${c.name}.php`, spec: { kind: 'class', sub: c.sub, name: c.name, size: c.size, rel: `src/${c.sub}/${c.name}.php` } });
    pkgFiles.set(p, list);
    for (const f of list) v1.push(file(`${p.dir}/${f.rel}`, renderPackageFile(p, f.spec, seed, requires.get(p))));
  }
  v1.push(...vendorComposerFiles(pkgs, seed));
  v1.push(...appFiles(seed, 'v1', `bench-v1-${seed}`));

  // v2: a composer update of a few packages and an app change.
  const r2 = new Rng(`${seed}:v2`);
  const byPath = new Map(v1.map((f) => [f.path, f]));
  const v2map = new Map(v1.map((f) => [f.path, { ...f }]));
  const changed = new Set();
  const added = [];
  const removed = [];
  const candidates = r2.shuffle(pkgs.filter((p) => p.classFiles.length >= 20 && p.classFiles.length <= 400));
  const updated = candidates.slice(0, 6);
  for (const p of updated) {
    const [maj, min, pat] = p.version.split('.').map(Number);
    p.version = `${maj}.${min}.${pat + 1 + r2.int(0, 3)}`;
    const pkgCtx = { rootNs: p.rootNs, subNs: p.subNs, classes: p.classes, exception: p.exception, author: p.author, header: p.header, packageName: p.packageName, vendorName: p.vendorName, version: p.version };
    const list = pkgFiles.get(p);
    const nClass = list.filter((f) => f.spec.kind === 'class').length;
    const pEdit = Math.min(0.3, 27 / nClass);
    for (const f of list) {
      const path = `${p.dir}/${f.rel}`;
      if (f.spec.kind === 'class' && r2.chance(pEdit)) {
        v2map.get(path).content = editText(byPath.get(path).content, new Rng(`${seed}:edit:${path}`), p.vocab, pkgCtx);
        changed.add(path);
      } else if (f.spec.kind === 'changelog') {
        v2map.get(path).content = `CHANGELOG\n=========\n\n${p.version}\n---\n\n * Fix ${p.vocab.sentence(4, 12).toLowerCase()}\n\n` + byPath.get(path).content.slice('CHANGELOG\n=========\n\n'.length);
        changed.add(path);
      }
    }
    // two new classes, one removed
    for (let i = 0; i < 2; i++) {
      p.vocab.rng = new Rng(`${seed}:new:${p.dir}:${i}`);
      const name = p.vocab.className().replace(/(Interface|Trait)$/, '') + 'V2';
      const sub = p.subNs[0];
      const path = `${p.dir}/src/${sub}/${name}.php`;
      if (v2map.has(path)) continue;
      p.classFiles.push({ sub, name, size: 3000 });
      v2map.set(path, file(path, phpClass(p.vocab, pkgCtx, `${p.rootNs}\\${sub}`, name, 3000)));
      added.push(path);
    }
    const victim = p.classFiles.find((c, i) => i > 3 && !c.name.endsWith('V2'));
    const vpath = `${p.dir}/src/${victim.sub}/${victim.name}.php`;
    p.classFiles = p.classFiles.filter((c) => c !== victim);
    v2map.delete(vpath);
    removed.push(vpath);
  }
  // vendor/composer metadata regenerated from the updated package list
  for (const f of vendorComposerFiles(pkgs, seed)) {
    if (v2map.get(f.path)?.content !== f.content) changed.add(f.path);
    v2map.set(f.path, f);
  }
  // the app: the release label, ~60 edited files, two new classes, one removed, a new asset hash
  const appV2 = appFiles(seed, 'v2', `bench-v2-${seed}`);
  for (const f of appV2) {
    if (!v2map.has(f.path)) {
      v2map.set(f.path, f);
      added.push(f.path);
    } else if (v2map.get(f.path).content !== f.content) {
      v2map.set(f.path, f);
      changed.add(f.path);
    }
  }
  for (const f of v1) if (f.path.startsWith('public/build/app.') && f.path.endsWith('.js') && !appV2.some((a) => a.path === f.path)) {
    v2map.delete(f.path);
    removed.push(f.path);
  }
  const appV = new Vocab(new Rng(`${seed}:app-edit-vocab`), 30);
  const appCtx = { rootNs: 'App', subNs: ['Service'], classes: ['Kernel', 'Request'], exception: 'DomainException', author: 'Acme', header: '', packageName: 'shop', vendorName: 'acme', version: '1.0.0' };
  const appEditable = [...v2map.keys()].filter((k) => /^(src|resources\/views|config)\//.test(k)).sort();
  for (const path of r2.shuffle(appEditable).slice(0, 70)) {
    const f = v2map.get(path);
    f.content = editText(f.content, new Rng(`${seed}:edit:${path}`), appV, path.startsWith('src/') ? appCtx : undefined);
    changed.add(path);
  }
  for (let i = 0; i < 2; i++) {
    appV.rng = new Rng(`${seed}:new-app:${i}`);
    const name = appV.className().replace(/(Interface|Trait)$/, '') + 'Handler';
    const path = `src/MessageHandler/${name}.php`;
    if (v2map.has(path)) continue;
    v2map.set(path, file(path, phpClass(appV, appCtx, 'App\\MessageHandler', name, 2500)));
    added.push(path);
  }
  const appRemovable = [...v2map.keys()].filter((k) => k.startsWith('src/Form/')).sort();
  const appVictim = appRemovable[Math.floor(appRemovable.length / 2)];
  if (appVictim) {
    v2map.delete(appVictim);
    removed.push(appVictim);
  }
  const v2 = [...v2map.values()];
  return { v1, v2, changes: { changed: [...changed].filter((p) => v2map.has(p) && byPath.has(p)).sort(), added: added.sort(), removed: removed.sort() }, packages: pkgs.length };
}

function writeTree(dir, files, mtimeOf) {
  const made = new Set();
  for (const f of files) {
    const abs = join(dir, f.path);
    const d = dirname(abs);
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
    writeFileSync(abs, f.content, { mode: f.mode });
  }
  for (const f of files) {
    const t = mtimeOf(f);
    utimesSync(join(dir, f.path), t, t);
  }
  return files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
}

/**
 * Generates (or reuses) the two trees. Returns { dir, v1, v2, stats }.
 */
export function ensureApp({ root = '/var/tmp/php-deploy-bench', seed = 'php-deploy-bench-1', log = () => {} } = {}) {
  const dir = join(root, `gen-${GEN_VERSION}-${seed.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
  const stampFile = join(dir, 'DONE.json');
  if (existsSync(stampFile)) {
    const stats = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (stats.genVersion === GEN_VERSION && stats.seed === seed) {
      log(`reusing the generated app in ${dir}`);
      return { dir, v1: join(dir, 'v1'), v2: join(dir, 'v2'), stats, reused: true };
    }
  }
  const t0 = Date.now();
  log(`generating the app (seed ${seed}) into ${dir} ...`);
  // trees of older generator versions for this seed are never reused: remove them
  const mine = `-${seed.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  for (const n of existsSync(root) ? readdirSync(root) : []) {
    if (/^gen-\d+-/.test(n) && n.endsWith(mine) && join(root, n) !== dir) rmSync(join(root, n), { recursive: true, force: true });
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const { v1, v2, changes, packages } = buildVersions(seed);
  const mrng = new Rng(`${seed}:mtimes`);
  const v1Times = new Map(v1.map((f) => [f.path, V1_MTIME + mrng.int(0, 86_400)]));
  const v1Bytes = writeTree(join(tmp, 'v1'), v1, (f) => v1Times.get(f.path));
  const fresh = Math.floor(Date.now() / 1000);
  const v2Bytes = writeTree(join(tmp, 'v2'), v2, () => fresh);
  // The app must be valid PHP where it is executed, and the generated classes should lint too.
  const lintRng = new Rng(`${seed}:lint`);
  const phpFiles = v2.filter((f) => f.path.endsWith('.php') && !f.path.endsWith('.blade.php'));
  const sample = ['public/index.php', 'vendor/autoload.php', 'vendor/composer/ClassLoader.php', ...Array.from({ length: 60 }, () => lintRng.pick(phpFiles).path)];
  const lint = { checked: 0, failed: [] };
  for (const p of new Set(sample)) {
    lint.checked++;
    try {
      execFileSync('php', ['-l', join(tmp, 'v2', p)], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      lint.failed.push(`${p}: ${String(e.stdout || e.stderr || e.message).trim().split('\n')[0]}`);
    }
  }
  // gzip ratio of the whole tree, as tar | gzip -6 would see it
  const tarGz = execFileSync('bash', ['-c', `tar -C ${JSON.stringify(join(tmp, 'v1'))} -cf - . | gzip -6 | wc -c`], { encoding: 'utf8' });
  const tarRaw = execFileSync('bash', ['-c', `tar -C ${JSON.stringify(join(tmp, 'v1'))} -cf - . | wc -c`], { encoding: 'utf8' });
  const stats = {
    genVersion: GEN_VERSION,
    seed,
    packages,
    v1: { files: v1.length, bytes: v1Bytes },
    v2: { files: v2.length, bytes: v2Bytes },
    changes: { changed: changes.changed.length, added: changes.added.length, removed: changes.removed.length, changedPct: +((100 * changes.changed.length) / v1.length).toFixed(2) },
    changedBytes: changes.changed.concat(changes.added).reduce((n, p) => n + Buffer.byteLength(v2.find((f) => f.path === p)?.content ?? ''), 0),
    gzipRatio: +(Number(tarRaw) / Number(tarGz)).toFixed(2),
    tarBytes: Number(tarRaw),
    tarGzBytes: Number(tarGz),
    lint,
    v2MtimeEpoch: fresh,
    generatedInMs: Date.now() - t0,
  };
  writeFileSync(join(tmp, 'CHANGES.txt'), [`# changed (${changes.changed.length})`, ...changes.changed, `# added (${changes.added.length})`, ...changes.added, `# removed (${changes.removed.length})`, ...changes.removed, ''].join('\n'));
  writeFileSync(join(tmp, 'DONE.json'), JSON.stringify(stats, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, v1: join(dir, 'v1'), v2: join(dir, 'v2'), stats, reused: false };
}

// `node scripts/bench/generate.mjs [seed] [root]` generates (or reuses) and prints the stats.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = ensureApp({ seed: process.argv[2] || undefined, root: process.argv[3] || undefined, log: (m) => console.error(m) });
  console.log(JSON.stringify(r.stats, null, 2));
}
