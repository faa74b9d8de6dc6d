/**
 * Real PHP apps that nobody here wrote, built at test time from Debian's packages the way CI would
 * ship them (test/e2e/real-apps.ts), deployed to the real stack: first deploy, a second version,
 * rollback, and a broken release that must be refused BEFORE the switch. Data written through the
 * app must survive all of it.
 *
 * - DokuWiki: the web root is the release root (document-root: .), the health URL names a plain
 *   script (/doku.php), and index.php only redirects (to doku.php).
 * - WordPress: the web root is the release root too, with MariaDB; /wp-login.php is the health URL;
 *   a post (a row) and an upload in wp-content/uploads (a shared path inside the web root).
 * - Laravel (Debian's php-laravel-framework under a tiny app written here): a front controller
 *   (public/index.php routes /up to a controller), a row in MariaDB and an upload in a shared path
 *   inside the web root.
 */
import { appendFileSync, existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { cli, lastLine, newSite, readLog, serverState, stack, type RunResult, type Site } from './helpers.js';
import {
  browser,
  dokuwikiTree,
  fatalAtStart,
  laravelTree,
  patch,
  requireRootServer,
  rebuild,
  saveWikiPage,
  wordpressTree,
  wpXmlRpc,
  xmlStruct,
  type Browser,
} from './real-apps.js';

const ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{7}$/;
/** A plainly broken release must be refused well before the default health-timeout (20 s). */
const FAST_MS = 10_000;

function expectOk(r: RunResult): void {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
}

/**
 * Milliseconds from the release's verification (the upload's end, whose time varies with the machine's
 * load) to the end of the run: the activation, its checks and the clean-up.
 */
function msAfterUpload(r: RunResult): number {
  const at = /^\[\s*([\d.]+)s\] upload: .* verified: /m.exec(r.stderr)?.[1];
  expect(at, `no 'verified' line in:\n${r.stderr}`).toBeDefined();
  return r.ms - Number(at) * 1000;
}

function idOf(r: RunResult): string {
  return /^(?:deployed|rolled back to) (\S+)/m.exec(r.stdout)?.[1] ?? '';
}

function connection(site: Site): string[] {
  return [
    '--hosts',
    stack.host,
    '--ssh-key-file',
    stack.key,
    '--known-hosts-file',
    stack.knownHosts,
    '--deploy-path',
    site.deployPath,
    '--fpm-socket',
    stack.fpmSocket,
    '--reload-command',
    stack.reloadCommand,
  ];
}

/** What must hold after a refused release: `current` untouched, no new release left, the lock free. */
function expectNothingChanged(site: Site, before: ReturnType<typeof serverState>): void {
  const after = serverState(site.deployPath);
  expect(after.current).toBe(before.current);
  expect(after.releases).toEqual(before.releases);
  expect(after.lock).toBeNull();
}

describe('DokuWiki: web root at the release root, plain-script health URL, index.php redirects', () => {
  let site: Site;
  let wiki: Browser;
  let v1 = '';
  let id1 = '';
  let id2 = '';
  let host = '';
  const args = (healthPath = '/doku.php?id=wiki:welcome'): string[] => [
    ...connection(site),
    '--document-root',
    '.',
    '--shared',
    'data/',
    '--health-url',
    `http://${host}:${stack.httpPort}${healthPath}`,
  ];
  const title = async (page = 'start'): Promise<string> => {
    const r = await wiki.request('GET', `/doku.php?id=${page}`);
    expect(r.status, r.body.slice(0, 300)).toBe(200);
    return /<title>([^<]*)<\/title>/.exec(r.body)?.[1] ?? '';
  };

  beforeAll(async () => {
    await requireRootServer(stack.httpPort);
    site = newSite('real-dokuwiki');
    host = `${site.name}.root.localhost`;
    wiki = browser(host, stack.httpPort);
    v1 = dokuwikiTree();
  });

  test('first deploy: the check runs doku.php itself; the wiki is served from the release root; a page written through it lands in shared/', async () => {
    const r = await cli(['deploy', '--source', v1, '--release-version', 'wiki-1', ...args()]);
    expectOk(r);
    id1 = idOf(r);
    expect(id1).toMatch(ID_RE);
    // The pre-switch request ran the script the health URL names, not index.php (which redirects).
    expect(r.stderr).toMatch(/pre-switch check via php-fpm \S+: GET \/doku\.php\?id=wiki:welcome → \/doku\.php: 200 OK/);
    expect(readlinkSync(join(site.deployPath, 'current'))).toBe(`releases/${id1}`);

    expect(await title()).toBe('start [php-deploy test wiki]');
    const index = await wiki.request('GET', '/');
    expect(index.status).toBe(302);
    expect(index.location).toMatch(/doku\.php\?id=start$/);
    // Static files come straight from the release root; what must stay private is denied.
    expect((await wiki.request('GET', '/lib/tpl/dokuwiki/images/logo.png')).status).toBe(200);
    for (const p of ['/conf/local.php', '/data/pages/wiki/syntax.txt', '/inc/init.php', '/.htaccess']) {
      expect((await wiki.request('GET', p)).status, p).toBe(403);
    }

    await saveWikiPage(wiki, 'deploynotes', 'Written in release one.');
    expect((await wiki.request('GET', '/doku.php?id=deploynotes')).body).toContain('Written in release one.');
    expect(existsSync(join(site.deployPath, 'shared/data/pages/deploynotes.txt'))).toBe(true);
  });

  test('second version (real files changed): served, and the page written before is still there', async () => {
    const v2 = rebuild(v1, (d) => {
      patch(d, 'conf/local.php', 'php-deploy test wiki', 'php-deploy test wiki v2');
      patch(d, 'lib/tpl/dokuwiki/tpl_footer.php', '<footer id="dokuwiki__footer"><div class="pad">', '<footer id="dokuwiki__footer"><div class="pad"><p class="deployed-v2">v2 footer</p>');
    });
    const r = await cli(['deploy', '--source', v2, '--release-version', 'wiki-2', ...args()]);
    expectOk(r);
    id2 = idOf(r);
    expect(id2).not.toBe(id1);
    expect(await title()).toBe('start [php-deploy test wiki v2]');
    const page = await wiki.request('GET', '/doku.php?id=deploynotes');
    expect(page.body).toContain('Written in release one.');
    expect(page.body).toContain('v2 footer');
    await saveWikiPage(wiki, 'deploynotes', 'Written in release two.');
  });

  test('rollback: release one again, with the page as release two left it', async () => {
    const r = await cli(['rollback', ...args()]);
    expectOk(r);
    expect(idOf(r)).toBe(id1);
    expect(await title()).toBe('start [php-deploy test wiki]');
    const page = await wiki.request('GET', '/doku.php?id=deploynotes');
    expect(page.body).toContain('Written in release two.');
    expect(page.body).not.toContain('v2 footer');
  });

  test('a fatal error in doku.php (index.php still works) is refused before the switch, quickly, leaving nothing behind', async () => {
    const broken = rebuild(v1, (d) => fatalAtStart(d, 'doku.php'));
    const before = serverState(site.deployPath);
    const r = await cli(['deploy', '--source', broken, '--release-version', 'wiki-broken', ...args()]);
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/pre-switch-check: .*doku\.php.*500/);
    expect(lastLine(r.stderr)).toMatch(/php_deploy_broken_on_purpose/);
    expect(msAfterUpload(r), 'a fatal error is not retried for the whole health-timeout').toBeLessThan(FAST_MS);
    expectNothingChanged(site, before);
    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'deploy', result: 'failed' });
    expect(await title()).toBe('start [php-deploy test wiki]');
    expect((await wiki.request('GET', '/doku.php?id=deploynotes')).body).toContain('Written in release two.');
  });

  test('a health URL whose script redirects fails at once, naming the Location and what to do', async () => {
    const before = serverState(site.deployPath);
    const r = await cli(['deploy', '--source', v1, ...args('/')]);
    expect(r.code, r.stderr).toBe(1);
    const line = lastLine(r.stderr);
    expect(line).toMatch(/pre-switch-check: .*index\.php.* answered 302/);
    expect(line).toMatch(/Location: \S*doku\.php\?id=start/);
    expect(line).toMatch(/point health-url at a page that answers 200/);
    expect(msAfterUpload(r), 'a redirect is not retried').toBeLessThan(FAST_MS);
    expectNothingChanged(site, before);
  });
});

describe('Laravel on Debian\'s php-laravel-framework: a front controller, a row in MariaDB, an upload in the web root', () => {
  let site: Site;
  let app: Browser;
  let v1 = '';
  let id1 = '';
  const args = (): string[] => [
    ...connection(site),
    '--shared',
    '.env',
    '--shared',
    'storage/',
    '--shared',
    'public/uploads/',
    '--before-switch',
    'php bin/create-tables.php',
    '--health-url',
    `${site.url}/up`,
  ];
  const heading = async (): Promise<string> => {
    const r = await app.request('GET', '/');
    expect(r.status, r.body.slice(0, 300)).toBe(200);
    return /<h1>([^<]*)<\/h1>/.exec(r.body)?.[1] ?? '';
  };
  const notes = async (): Promise<string[]> => [...(await app.request('GET', '/')).body.matchAll(/<li class="note">([^<]*)</g)].map((m) => m[1] ?? '');

  beforeAll(() => {
    site = newSite('real-laravel');
    app = browser(`${site.name}.localhost`, stack.httpPort);
    v1 = laravelTree();
  });

  test('first deploy: the check routes /up through the front controller; a row and an upload written through the app', async () => {
    const r = await cli(['deploy', '--source', v1, '--release-version', 'notes-1', ...args()]);
    expectOk(r);
    id1 = idOf(r);
    expect(id1).toMatch(ID_RE);
    expect(r.stderr).toMatch(/pre-switch check via php-fpm \S+: GET \/up → \/index\.php \(front controller\): 200 OK/);
    const up = await app.request('GET', '/up');
    expect(up.status).toBe(200);
    expect(JSON.parse(up.body)).toMatchObject({ status: 'ok', version: '1.0.0', release: id1 });
    expect(await heading()).toBe('notes v1.0.0');

    expect((await app.request('POST', '/notes', 'a row from release one')).status).toBe(201);
    expect(await notes()).toEqual(['a row from release one']);
    expect((await app.request('POST', '/upload/report-1.txt', 'uploaded in release one')).status).toBe(201);
    // A shared path inside the web root is served by nginx itself.
    const file = await app.request('GET', '/uploads/report-1.txt');
    expect([file.status, file.body]).toEqual([200, 'uploaded in release one']);
    expect(readlinkSync(join(site.deployPath, 'releases', id1, 'public/uploads'))).toBe('../../../shared/public/uploads');
  });

  test('second version: new code served, the row and the upload still there', async () => {
    const v2 = rebuild(v1, (d) => {
      patch(d, 'config/version.php', "'1.0.0'", "'2.0.0'");
      patch(d, 'app/Http/Controllers/NoteController.php', "'<h1>notes v'", "'<h1>all notes v'");
    });
    const r = await cli(['deploy', '--source', v2, '--release-version', 'notes-2', ...args()]);
    expectOk(r);
    expect(await heading()).toBe('all notes v2.0.0');
    expect(await notes()).toEqual(['a row from release one']);
    expect((await app.request('GET', '/uploads/report-1.txt')).body).toBe('uploaded in release one');
    expect((await app.request('POST', '/notes', 'a row from release two')).status).toBe(201);
  });

  test('rollback: release one again, with both rows and the upload', async () => {
    const r = await cli(['rollback', ...args()]);
    expectOk(r);
    expect(idOf(r)).toBe(id1);
    expect(await heading()).toBe('notes v1.0.0');
    expect(await notes()).toEqual(['a row from release one', 'a row from release two']);
    expect((await app.request('GET', '/uploads/report-1.txt')).body).toBe('uploaded in release one');
  });

  test('front-controller names the script URLs fall back to: one that is not in the release fails the check at once', async () => {
    const before = serverState(site.deployPath);
    const r = await cli(['deploy', '--source', v1, ...args(), '--front-controller', 'app.php']);
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/pre-switch-check: .*GET \/up → \/app\.php \(front controller\) answered 404: the front controller \/app\.php does not exist under the document root/);
    expect(msAfterUpload(r)).toBeLessThan(FAST_MS);
    expectNothingChanged(site, before);
  });

  test('a fatal error in the health controller (/ still works) is refused before the switch, quickly, leaving nothing behind', async () => {
    const broken = rebuild(v1, (d) => patch(d, 'app/Http/Controllers/HealthController.php', "DB::select('SELECT 1');", "php_deploy_broken_on_purpose(); DB::select('SELECT 1');"));
    const before = serverState(site.deployPath);
    const r = await cli(['deploy', '--source', broken, '--release-version', 'notes-broken', ...args()]);
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/pre-switch-check: .*index\.php.* answered 500/);
    expect(lastLine(r.stderr)).toMatch(/answered 500 3 times in a row/);
    expect(msAfterUpload(r), 'the same 500 again and again is not retried for the whole health-timeout').toBeLessThan(FAST_MS);
    expectNothingChanged(site, before);
    expect(await heading()).toBe('notes v1.0.0');
    expect(await notes()).toEqual(['a row from release one', 'a row from release two']);
  });
});

describe('WordPress: web root at the release root, MariaDB, uploads in a shared path inside the web root', () => {
  let site: Site;
  let blog: Browser;
  let v1 = '';
  let id1 = '';
  let postId = '';
  let uploadPath = '';
  let host = '';
  const args = (): string[] => [
    ...connection(site),
    '--document-root',
    '.',
    '--shared',
    '.env',
    '--shared',
    'wp-content/uploads/',
    '--before-switch',
    'php bin/install.php',
    '--health-url',
    `http://${host}:${stack.httpPort}/wp-login.php`,
  ];
  const generator = async (): Promise<string> => {
    const r = await blog.request('GET', `/?p=${postId || 1}`);
    expect(r.status, r.body.slice(0, 300)).toBe(200);
    return /<meta name="generator" content="([^"]*)"/.exec(r.body)?.[1] ?? '';
  };

  beforeAll(async () => {
    await requireRootServer(stack.httpPort);
    site = newSite('real-wordpress');
    host = `${site.name}.root.localhost`;
    blog = browser(`${host}:${stack.httpPort}`, stack.httpPort);
    // The site's URL, for wp-config.php (which reads the shared .env like the database settings).
    appendFileSync(join(site.deployPath, 'shared/.env'), `WP_URL=http://${host}:${stack.httpPort}\n`);
    v1 = wordpressTree();
  });

  test('first deploy: installed before the switch, checked through wp-login.php; a post and an upload written through the app', async () => {
    const r = await cli(['deploy', '--source', v1, '--release-version', 'blog-1', ...args()]);
    expectOk(r);
    id1 = idOf(r);
    expect(r.stderr).toMatch(/WordPress installed/);
    expect(r.stderr).toMatch(/pre-switch check via php-fpm \S+: GET \/wp-login\.php → \/wp-login\.php: 200 OK/);
    expect((await blog.request('GET', '/wp-login.php')).body).toContain('user_login');
    expect((await blog.request('GET', '/.env')).status, 'the shared .env in the web root is not served').toBe(403);

    postId = /<string>(\d+)<\/string>/.exec(
      await wpXmlRpc(blog, 'wp.newPost', xmlStruct({ post_title: 'Deploy note', post_content: 'Written in release one', post_status: 'publish' })),
    )?.[1] ?? '';
    expect(postId).toMatch(/^\d+$/);
    const uploaded = await wpXmlRpc(
      blog,
      'wp.uploadFile',
      xmlStruct({ name: 'report-1.txt', type: 'text/plain', bits: Buffer.from('uploaded in release one').toString('base64') }, ['bits']),
    );
    uploadPath = new URL(/<string>(http[^<]*report-1[^<]*)<\/string>/.exec(uploaded)?.[1] ?? 'http://x/none').pathname;
    expect(uploadPath).toMatch(/^\/wp-content\/uploads\//);
    const file = await blog.request('GET', uploadPath);
    expect([file.status, file.body]).toEqual([200, 'uploaded in release one']);
    expect((await blog.request('GET', `/?p=${postId}`)).body).toContain('Written in release one');
    expect(await generator()).toBe('WordPress 6.1.9');
  });

  test('second version (wp-includes changed): served, the post and the upload still there', async () => {
    const v2 = rebuild(v1, (d) => patch(d, 'wp-includes/version.php', "$wp_version = '6.1.9';", "$wp_version = '6.1.9-php-deploy-2';"));
    const r = await cli(['deploy', '--source', v2, '--release-version', 'blog-2', ...args()]);
    expectOk(r);
    expect(r.stderr).toMatch(/WordPress is installed/);
    expect(await generator()).toBe('WordPress 6.1.9-php-deploy-2');
    expect((await blog.request('GET', `/?p=${postId}`)).body).toContain('Written in release one');
    expect((await blog.request('GET', uploadPath)).body).toBe('uploaded in release one');
  });

  test('rollback, then a fatal error in wp-login.php (index.php still works) is refused before the switch', async () => {
    const back = await cli(['rollback', ...args()]);
    expectOk(back);
    expect(idOf(back)).toBe(id1);
    expect(await generator()).toBe('WordPress 6.1.9');
    expect((await blog.request('GET', `/?p=${postId}`)).body).toContain('Written in release one');
    expect((await blog.request('GET', uploadPath)).body).toBe('uploaded in release one');

    const broken = rebuild(v1, (d) => fatalAtStart(d, 'wp-login.php'));
    const before = serverState(site.deployPath);
    const r = await cli(['deploy', '--source', broken, '--release-version', 'blog-broken', ...args()]);
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/pre-switch-check: .*wp-login\.php.*500.*php_deploy_broken_on_purpose/);
    expect(msAfterUpload(r)).toBeLessThan(FAST_MS);
    expectNothingChanged(site, before);
    expect((await blog.request('GET', '/wp-login.php')).status).toBe(200);
  });
});
