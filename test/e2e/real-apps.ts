/**
 * Real PHP apps nobody here wrote, as CI would ship them: built at test time from the Debian packages
 * that test/stack/stack.sh installs (APP_PACKAGES), never committed.
 *
 * Debian splits an app over /usr/share/<app>, /etc/<app> and /var/lib/<app> and joins them with
 * symlinks; a CI build is one self-contained tree. debianTree() copies a package's directory with every
 * symlink resolved, and the builders below put configuration and data back where the upstream
 * tarball has them (e.g. DokuWiki's conf/ and data/ next to doku.php).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { tempDir } from './helpers.js';

/** Throws one clear line when a package the real-app tests need is not installed. */
export function requirePackages(packages: string[]): void {
  const missing = packages.filter((p) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', p], { encoding: 'utf8' }).startsWith('ii');
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(`Debian packages missing: ${missing.join(' ')}; run 'bash test/stack/stack.sh install' (scripts/setup.sh does)`);
  }
}

/**
 * Copies a directory as a build would contain it: regular files and directories only, every symlink
 * (Debian's links into /etc and /var/lib) replaced by what it points to. (cpSync's `dereference`
 * does not resolve links below the top on every Node version.)
 */
export function debianTree(src: string, dest: string): void {
  const st = statSync(src);
  if (st.isDirectory()) {
    mkdirSync(dest, { recursive: true });
    for (const name of readdirSync(src)) debianTree(join(src, name), join(dest, name));
  } else if (st.isFile()) {
    copyFileSync(src, dest);
  } else {
    return;
  }
  chmodSync(dest, st.mode & 0o777);
}

/** Installed packages and what each depends on, from one dpkg-query. */
function installedPackages(): Map<string, string> {
  const text = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Abbrev}\t${Depends}\n'], { encoding: 'utf8' });
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [name = '', status = '', depends = ''] = line.split('\t');
    if (status.startsWith('ii')) out.set(name, depends);
  }
  return out;
}

function installedDeps(pkg: string, installed: Map<string, string>): string[] {
  const out: string[] = [];
  for (const clause of (installed.get(pkg) ?? '').split(',')) {
    // "a (>= 1) | b": the first alternative that is installed.
    const name = clause
      .split('|')
      .map((alt) => alt.trim().split(/[\s(:]/)[0] ?? '')
      .find((n) => installed.has(n));
    if (name) out.push(name);
  }
  return out;
}

/**
 * The PHP library files of a Debian package and everything it depends on (what composer would put
 * in vendor/): paths under /usr/share/php, relative to it.
 */
export function phpLibraryFiles(pkg: string): string[] {
  const installed = installedPackages();
  const seen = new Set<string>();
  const queue = [pkg];
  while (queue.length > 0) {
    const p = queue.shift() as string;
    if (seen.has(p)) continue;
    seen.add(p);
    // Only PHP libraries (php-*), not the interpreter, its extensions or C libraries.
    for (const d of installedDeps(p, installed)) if (/^php-/.test(d) && !/^php-(common|json|mbstring|xml|cli|fpm)$/.test(d)) queue.push(d);
  }
  const files = new Set<string>();
  const list = execFileSync('dpkg', ['-L', ...seen], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  for (const path of list.split('\n')) {
    if (!path.startsWith('/usr/share/php/') || !/\.[A-Za-z0-9]+$/.test(path)) continue;
    try {
      if (statSync(path).isFile()) files.add(relative('/usr/share/php', path));
    } catch {
      // a diverted or removed file
    }
  }
  return [...files].sort();
}

// ---------------------------------------------------------------------------------------------
// DokuWiki: web root = release root, plain scripts (doku.php), an index.php that redirects
// ---------------------------------------------------------------------------------------------

/**
 * DokuWiki as its upstream tarball lays it out (the web root is the release root): Debian's
 * /usr/share/dokuwiki with lib/plugins and lib/tpl resolved, conf/ from /etc/dokuwiki and data/ from
 * /var/lib/dokuwiki/data, and without Debian's inc/preload.php (which points DokuWiki at /etc).
 * Anonymous users may edit (useacl 0), so a test can write a page through the app.
 */
export function dokuwikiTree(): string {
  requirePackages(['dokuwiki']);
  const dir = join(tempDir('php-deploy-dokuwiki-'), 'dokuwiki');
  debianTree('/usr/share/dokuwiki', dir);
  rmSync(join(dir, 'inc/preload.php'));
  debianTree('/etc/dokuwiki', join(dir, 'conf'));
  rmSync(join(dir, 'conf/apache.conf'));
  rmSync(join(dir, 'conf/lighttpd.conf'));
  debianTree('/var/lib/dokuwiki/data', join(dir, 'data'));
  const main = join(dir, 'conf/dokuwiki.php');
  writeFileSync(main, readFileSync(main, 'utf8').replace("'/var/lib/dokuwiki/data'", "'./data'"));
  writeFileSync(
    join(dir, 'conf/local.php'),
    "<?php\n$conf['title'] = 'php-deploy test wiki';\n$conf['useacl'] = 0;\n$conf['userewrite'] = 0;\n$conf['updatecheck'] = 0;\n",
  );
  return dir;
}

// ---------------------------------------------------------------------------------------------
// WordPress: web root = release root, MariaDB, uploads in wp-content/uploads (a shared path)
// ---------------------------------------------------------------------------------------------

/** The admin account bin/install.php creates (XML-RPC writes posts and uploads with it). */
export const WP_ADMIN = { user: 'admin', password: 'php-deploy-e2e-admin-1' };

const WP_CONFIG = `<?php
// Written for the php-deploy e2e test in place of Debian's wp-config.php (which reads /etc/wordpress):
// the database and the site URL come from the shared .env, as many WordPress setups do.
$env = parse_ini_file(__DIR__ . '/.env');
define('DB_NAME', $env['DB_NAME']);
define('DB_USER', $env['DB_USER']);
define('DB_PASSWORD', $env['DB_PASSWORD']);
define('DB_HOST', $env['DB_HOST'] . ':' . $env['DB_PORT']);
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', $env['WP_URL']);
define('WP_SITEURL', $env['WP_URL']);
define('AUTH_KEY', 'e2e-auth-key');
define('SECURE_AUTH_KEY', 'e2e-secure-auth-key');
define('LOGGED_IN_KEY', 'e2e-logged-in-key');
define('NONCE_KEY', 'e2e-nonce-key');
define('AUTH_SALT', 'e2e-auth-salt');
define('SECURE_AUTH_SALT', 'e2e-secure-auth-salt');
define('LOGGED_IN_SALT', 'e2e-logged-in-salt');
define('NONCE_SALT', 'e2e-nonce-salt');
define('WP_AUTO_UPDATE_CORE', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
$table_prefix = 'wp_';
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;

const WP_INSTALL = `<?php
// before-switch: install WordPress into the site's database once (what \`wp core install\` does).
define('WP_INSTALLING', true);
require __DIR__ . '/../wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed()) {
    echo "WordPress is installed\n";
    exit(0);
}
wp_install('php-deploy test blog', '${WP_ADMIN.user}', 'admin@example.com', true, '', '${WP_ADMIN.password}');
echo "WordPress installed\n";
`;

/**
 * WordPress as its upstream zip lays it out: Debian's /usr/share/wordpress with its links into
 * /usr/share/php, /usr/share/javascript and /etc resolved, wp-content from /var/lib/wordpress (themes and
 * plugins resolved), a wp-config.php that reads the shared .env, and bin/install.php for before-switch.
 */
export function wordpressTree(): string {
  requirePackages(['wordpress', 'wordpress-theme-twentytwentythree']);
  const dir = join(tempDir('php-deploy-wordpress-'), 'wordpress');
  debianTree('/usr/share/wordpress', dir);
  rmSync(join(dir, 'wp-content'), { recursive: true, force: true });
  debianTree('/var/lib/wordpress/wp-content', join(dir, 'wp-content'));
  rmSync(join(dir, '.htaccess'), { force: true });
  writeFileSync(join(dir, 'wp-config.php'), WP_CONFIG);
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/install.php'), WP_INSTALL);
  return dir;
}

/** One XML-RPC call to WordPress (xmlrpc.php) as the admin; returns the response body. */
export async function wpXmlRpc(b: Browser, method: string, content: string): Promise<string> {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>` +
    `<param><value><int>1</int></value></param>` +
    `<param><value><string>${esc(WP_ADMIN.user)}</string></value></param>` +
    `<param><value><string>${esc(WP_ADMIN.password)}</string></value></param>` +
    `<param><value><struct>${content}</struct></value></param></params></methodCall>`;
  const r = await b.request('POST', '/xmlrpc.php', body);
  if (r.status !== 200 || r.body.includes('<fault>')) throw new Error(`${method}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  return r.body;
}

/** XML-RPC struct members from name → string value. */
export function xmlStruct(fields: Record<string, string>, base64: string[] = []): string {
  return Object.entries(fields)
    .map(([k, v]) => `<member><name>${k}</name><value>${base64.includes(k) ? `<base64>${v}</base64>` : `<string>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</string>`}</value></member>`)
    .join('');
}

/** A copy of a tree (a new CI build of the same app), changed by mutate. */
export function rebuild(tree: string, mutate: (dir: string) => void): string {
  const dir = join(tempDir('php-deploy-rebuild-'), 'app');
  cpSync(tree, dir, { recursive: true, preserveTimestamps: false });
  mutate(dir);
  return dir;
}

/** Replaces `search` in a file, failing loudly when it is not there (the package changed). */
export function patch(dir: string, file: string, search: string | RegExp, replacement: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (typeof search === 'string' ? !text.includes(search) : !search.test(text)) {
    throw new Error(`patch: ${String(search)} not found in ${file}`);
  }
  writeFileSync(path, text.replace(search, replacement));
}

/** Puts a PHP fatal error (a call to an undefined function) at the start of a script. */
export function fatalAtStart(dir: string, file: string): void {
  patch(dir, file, /^<\?php/, '<?php php_deploy_broken_on_purpose();');
}

// ---------------------------------------------------------------------------------------------
// Laravel: a front-controller framework app (public/index.php routes every URL)
// ---------------------------------------------------------------------------------------------

const LARAVEL_FILES: Record<string, string> = {
  'vendor/autoload.php': `<?php
// What composer install would have produced: the framework and its libraries, here Debian's
// php-laravel-framework and its dependencies copied from /usr/share/php into vendor/php.
set_include_path(__DIR__ . '/php');
require_once 'Illuminate/autoload.php';
spl_autoload_register(function (string $class): void {
    if (str_starts_with($class, 'App\\\\')) {
        $file = dirname(__DIR__) . '/app/' . str_replace('\\\\', '/', substr($class, 4)) . '.php';
        if (is_file($file)) require $file;
    }
});
`,
  'public/index.php': `<?php

use Illuminate\\Contracts\\Http\\Kernel;
use Illuminate\\Http\\Request;

define('LARAVEL_START', microtime(true));

require __DIR__.'/../vendor/autoload.php';

$app = require_once __DIR__.'/../bootstrap/app.php';

$kernel = $app->make(Kernel::class);

$response = $kernel->handle(
    $request = Request::capture()
)->send();

$kernel->terminate($request, $response);
`,
  'artisan': `#!/usr/bin/env php
<?php

define('LARAVEL_START', microtime(true));

require __DIR__.'/vendor/autoload.php';

$app = require_once __DIR__.'/bootstrap/app.php';

$kernel = $app->make(Illuminate\\Contracts\\Console\\Kernel::class);

$status = $kernel->handle(
    $input = new Symfony\\Component\\Console\\Input\\ArgvInput,
    new Symfony\\Component\\Console\\Output\\ConsoleOutput
);

$kernel->terminate($input, $status);

exit($status);
`,
  'bootstrap/app.php': `<?php

$app = new Illuminate\\Foundation\\Application(
    $_ENV['APP_BASE_PATH'] ?? dirname(__DIR__)
);

$app->singleton(Illuminate\\Contracts\\Http\\Kernel::class, App\\Http\\Kernel::class);
$app->singleton(Illuminate\\Contracts\\Console\\Kernel::class, App\\Console\\Kernel::class);
$app->singleton(Illuminate\\Contracts\\Debug\\ExceptionHandler::class, App\\Exceptions\\Handler::class);

return $app;
`,
  'bootstrap/cache/.gitignore': '*\n!.gitignore\n',
  'app/Http/Kernel.php': `<?php

namespace App\\Http;

use Illuminate\\Foundation\\Http\\Kernel as HttpKernel;

class Kernel extends HttpKernel
{
    protected $middleware = [];

    protected $middlewareGroups = ['web' => [], 'api' => []];
}
`,
  'app/Console/Kernel.php': `<?php

namespace App\\Console;

use Illuminate\\Foundation\\Console\\Kernel as ConsoleKernel;

class Kernel extends ConsoleKernel
{
    protected function commands()
    {
        $this->load(__DIR__.'/Commands');
    }
}
`,
  'app/Exceptions/Handler.php': `<?php

namespace App\\Exceptions;

use Illuminate\\Foundation\\Exceptions\\Handler as ExceptionHandler;

class Handler extends ExceptionHandler
{
    protected $dontFlash = ['password'];
}
`,
  'app/Providers/RouteServiceProvider.php': `<?php

namespace App\\Providers;

use Illuminate\\Foundation\\Support\\Providers\\RouteServiceProvider as ServiceProvider;
use Illuminate\\Support\\Facades\\Route;

class RouteServiceProvider extends ServiceProvider
{
    public function boot()
    {
        $this->routes(function () {
            Route::middleware('web')->group(base_path('routes/web.php'));
        });
    }
}
`,
  'app/Http/Controllers/HealthController.php': `<?php

namespace App\\Http\\Controllers;

use Illuminate\\Support\\Facades\\DB;

class HealthController
{
    public function __invoke()
    {
        DB::select('SELECT 1');
        return response()->json([
            'status' => 'ok',
            'version' => config('app.version'),
            'release' => basename(base_path()),
        ]);
    }
}
`,
  'app/Http/Controllers/NoteController.php': `<?php

namespace App\\Http\\Controllers;

use Illuminate\\Http\\Request;
use Illuminate\\Support\\Facades\\DB;

class NoteController
{
    public function index()
    {
        $notes = DB::table('notes')->orderBy('id')->pluck('body')->all();
        return response('<h1>notes v' . e(config('app.version')) . '</h1><ul>'
            . implode('', array_map(fn ($n) => '<li class="note">' . e($n) . '</li>', $notes)) . '</ul>');
    }

    public function store(Request $request)
    {
        DB::table('notes')->insert(['body' => (string) $request->getContent()]);
        return response('stored', 201);
    }

    public function upload(Request $request, string $name)
    {
        abort_unless(preg_match('/^[a-z0-9-]+\\.txt$/', $name) === 1, 400);
        file_put_contents(public_path('uploads/' . $name), $request->getContent());
        return response('uploaded', 201);
    }
}
`,
  'routes/web.php': `<?php

use App\\Http\\Controllers\\HealthController;
use App\\Http\\Controllers\\NoteController;
use Illuminate\\Support\\Facades\\Route;

Route::get('/', [NoteController::class, 'index']);
Route::post('/notes', [NoteController::class, 'store']);
Route::post('/upload/{name}', [NoteController::class, 'upload']);
Route::get('/up', HealthController::class);
`,
  'config/app.php': `<?php

return [
    'name' => 'notes',
    'env' => env('APP_ENV', 'production'),
    'debug' => false,
    'url' => 'http://localhost',
    'timezone' => 'UTC',
    'locale' => 'en',
    'fallback_locale' => 'en',
    'key' => 'base64:' . base64_encode(str_repeat('k', 32)),
    'cipher' => 'AES-256-CBC',
    'version' => require __DIR__ . '/version.php',
    'providers' => [
        Illuminate\\Filesystem\\FilesystemServiceProvider::class,
        Illuminate\\Database\\DatabaseServiceProvider::class,
        Illuminate\\View\\ViewServiceProvider::class,
        Illuminate\\Translation\\TranslationServiceProvider::class,
        App\\Providers\\RouteServiceProvider::class,
    ],
    'aliases' => [],
];
`,
  'config/version.php': "<?php\nreturn '1.0.0';\n",
  'config/database.php': `<?php

return [
    'default' => 'mysql',
    'connections' => [
        'mysql' => [
            'driver' => 'mysql',
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '3306'),
            'database' => env('DB_NAME'),
            'username' => env('DB_USER'),
            'password' => env('DB_PASSWORD'),
            'charset' => 'utf8mb4',
            'collation' => 'utf8mb4_unicode_ci',
            'prefix' => '',
        ],
    ],
    'migrations' => 'migrations',
];
`,
  'config/logging.php': `<?php

return [
    'default' => 'single',
    'channels' => [
        'single' => ['driver' => 'single', 'path' => storage_path('logs/laravel.log'), 'level' => 'debug'],
    ],
];
`,
  'config/view.php': "<?php\n\nreturn ['paths' => [resource_path('views')], 'compiled' => storage_path('framework/views')];\n",
  'bin/create-tables.php': `<?php
// before-switch: the table the app writes to (expand-only, safe to run on every deploy).
$env = parse_ini_file(dirname(__DIR__) . '/.env');
$pdo = new PDO("mysql:host={$env['DB_HOST']};port={$env['DB_PORT']};dbname={$env['DB_NAME']}", $env['DB_USER'], $env['DB_PASSWORD']);
$pdo->exec('CREATE TABLE IF NOT EXISTS notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL)');
echo "notes table ready\\n";
`,
  'storage/logs/.gitignore': '*\n!.gitignore\n',
  'storage/framework/cache/.gitignore': '*\n!.gitignore\n',
  'storage/framework/sessions/.gitignore': '*\n!.gitignore\n',
  'storage/framework/views/.gitignore': '*\n!.gitignore\n',
  'public/uploads/.gitignore': '*\n!.gitignore\n',
  'public/robots.txt': 'User-agent: *\nDisallow:\n',
};

/**
 * A tiny Laravel app (the skeleton's files, written here) on the real framework: Debian's
 * php-laravel-framework and its libraries copied into vendor/ as composer install would have put them.
 * Routes: GET / lists notes (MariaDB), POST /notes stores one, POST /upload/<name>.txt writes
 * public/uploads/<name>.txt (served by nginx), GET /up is the health endpoint (HealthController).
 */
export function laravelTree(): string {
  requirePackages(['php-laravel-framework', 'php8.2-mbstring']);
  const dir = join(tempDir('php-deploy-laravel-'), 'laravel');
  for (const [file, text] of Object.entries(LARAVEL_FILES)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  for (const file of phpLibraryFiles('php-laravel-framework')) {
    const to = join(dir, 'vendor/php', file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join('/usr/share/php', file), to);
  }
  if (!existsSync(join(dir, 'vendor/php/Illuminate/Foundation/Application.php'))) {
    throw new Error('laravelTree: Illuminate/Foundation/Application.php was not copied from php-laravel-framework');
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// HTTP as a browser would send it (any Host, POST bodies, a cookie jar)
// ---------------------------------------------------------------------------------------------

export interface Reply {
  status: number;
  body: string;
  location?: string;
}

export interface Browser {
  request(method: 'GET' | 'POST', path: string, body?: string | Record<string, string>): Promise<Reply>;
}

/** A client for http://127.0.0.1:<port> with Host <host>, keeping cookies between requests. */
export function browser(host: string, port = 8080): Browser {
  const cookies = new Map<string, string>();
  return {
    request(method, path, body) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : new URLSearchParams(body).toString();
      const headers: Record<string, string> = { Host: host };
      if (cookies.size > 0) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      if (payload !== undefined) {
        headers['Content-Type'] = typeof body === 'string' ? 'text/plain' : 'application/x-www-form-urlencoded';
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      }
      return new Promise((resolvePromise, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, timeout: 10_000 }, (res) => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [pair = ''] = c.split(';');
            const eq = pair.indexOf('=');
            if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: text, location: res.headers.location }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${path} on ${host} timed out`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
  };
}

/**
 * Fails with one clear line when the stack's nginx has no server for <site>.root.localhost (a stack
 * started by an older test/stack/stack.sh): that server denies dotfiles, so /.env answers 403 there.
 */
export async function requireRootServer(port = 8080): Promise<void> {
  const r = await browser('php-deploy-stack-check.root.localhost', port).request('GET', '/.env');
  if (r.status !== 403) {
    throw new Error(`the stack's nginx does not serve <site>.root.localhost (GET /.env answered ${r.status}, not 403): run 'bash test/stack/stack.sh start'`);
  }
}

/** Saves a DokuWiki page through the wiki's own edit form (as a visitor would: edit, then save). */
export async function saveWikiPage(b: Browser, id: string, text: string): Promise<void> {
  const form = await b.request('GET', `/doku.php?id=${encodeURIComponent(id)}&do=edit`);
  if (form.status !== 200) throw new Error(`edit form of ${id}: HTTP ${form.status}`);
  const hidden = (name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(form.body.split('id="dw__editform"')[1] ?? '')?.[1] ?? '';
  const saved = await b.request('POST', '/doku.php', {
    id,
    'do[save]': '1',
    sectok: hidden('sectok'),
    rev: hidden('rev'),
    date: hidden('date'),
    prefix: hidden('prefix'),
    suffix: hidden('suffix'),
    changecheck: hidden('changecheck'),
    wikitext: text,
    summary: 'written by the php-deploy e2e test',
  });
  if (saved.status !== 302) throw new Error(`saving ${id}: HTTP ${saved.status}: ${saved.body.slice(0, 200)}`);
}
