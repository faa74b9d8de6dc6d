/**
 * Which script the pre-switch check runs for a health URL (src/remote/php/fcgi-request.php), against the
 * nginx config the README gives: `try_files $uri $uri/ /index.php?$query_string`, `location ~
 * [^/]\.php(/|$)` with `fastcgi_split_path_info ^(.+?\.php)(/.*)$`. The client's `-` socket prints the
 * FastCGI parameters instead of sending them; it runs on the php CLI the test stack installs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CODE = readFileSync(new URL('../../src/remote/php/fcgi-request.php', import.meta.url), 'utf8').replace(/^<\?php\n/, '');

let root = '';

interface Answer {
  status: string;
  script: string;
  location: string;
  final: string;
  body: string;
}

function run(url: string, front = 'index.php', docroot = root): { params?: Record<string, string>; answer?: Answer } {
  const out = execFileSync('php', ['-r', CODE, '--', '-', docroot, url, front, '5', '300'], { encoding: 'utf8' });
  if (out.startsWith('{')) return { params: JSON.parse(out) as Record<string, string> };
  const [status = '', script = '', location = '', final = '', body = ''] = out.split('\n');
  return { answer: { status, script, location, final, body } };
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'php-deploy-fcgi-')));
  for (const dir of ['sub', 'empty', 'api']) mkdirSync(join(root, dir));
  for (const file of ['index.php', 'doku.php', 'sub/index.php', 'app.php']) writeFileSync(join(root, file), '<?php');
  writeFileSync(join(root, 'robots.txt'), 'User-agent: *');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the script the pre-switch request runs', () => {
  it('runs the .php file the URL names, with the query and nginx-style parameters', () => {
    const { params } = run('http://wiki.example.com/doku.php?id=start');
    expect(params).toMatchObject({
      SCRIPT_FILENAME: `${root}/doku.php`,
      SCRIPT_NAME: '/doku.php',
      DOCUMENT_ROOT: root,
      REQUEST_URI: '/doku.php?id=start',
      QUERY_STRING: 'id=start',
      PATH_INFO: '',
      HTTP_HOST: 'wiki.example.com',
      SERVER_NAME: 'wiki.example.com',
      SERVER_PORT: '80',
      PHP_DEPLOY_CHECK: 'pre-switch',
    });
    expect(params?.HTTPS).toBeUndefined();
  });

  it('splits PATH_INFO after the script, as fastcgi_split_path_info does', () => {
    const { params } = run('https://app.example.com:8443/index.php/api/v1/ping?x=1');
    expect(params).toMatchObject({
      SCRIPT_NAME: '/index.php',
      PATH_INFO: '/api/v1/ping',
      REQUEST_URI: '/index.php/api/v1/ping?x=1',
      QUERY_STRING: 'x=1',
      HTTP_HOST: 'app.example.com:8443',
      SERVER_PORT: '8443',
      HTTPS: 'on',
    });
  });

  it('sends a URL that names no file to the front controller, keeping REQUEST_URI', () => {
    expect(run('http://localhost/up').params).toMatchObject({ SCRIPT_NAME: '/index.php', REQUEST_URI: '/up', PATH_INFO: '' });
    expect(run('http://localhost/api/health?full=1').params).toMatchObject({ SCRIPT_NAME: '/index.php', QUERY_STRING: 'full=1' });
    expect(run('http://localhost/up', 'app.php').params).toMatchObject({ SCRIPT_NAME: '/app.php', SCRIPT_FILENAME: `${root}/app.php` });
  });

  it("runs a directory's index.php; the root's too", () => {
    expect(run('http://localhost/sub/').params).toMatchObject({ SCRIPT_NAME: '/sub/index.php', REQUEST_URI: '/sub/' });
    expect(run('http://localhost/').params).toMatchObject({ SCRIPT_NAME: '/index.php', REQUEST_URI: '/' });
  });

  it('resolves the path as nginx does: percent-decoded, slashes merged, dot segments removed', () => {
    expect(run('http://localhost//sub/../doku%2Ephp').params).toMatchObject({ SCRIPT_NAME: '/doku.php', REQUEST_URI: '//sub/../doku%2Ephp' });
  });

  it('answers itself, without asking php-fpm, what nginx would answer without PHP', () => {
    expect(run('http://localhost/missing.php').answer).toMatchObject({ status: '404', final: expect.stringContaining('/missing.php does not exist') });
    expect(run('http://localhost/sub').answer).toMatchObject({ status: '301', location: '/sub/' });
    expect(run('http://localhost/empty/').answer).toMatchObject({ status: '403', final: expect.stringContaining('has no index.php') });
    expect(run('http://localhost/robots.txt').answer).toMatchObject({ status: '200', script: 'static file /robots.txt' });
    expect(run('http://localhost/../etc/passwd').answer).toMatchObject({ status: '400' });
    expect(run('http://localhost/up', 'main.php').answer).toMatchObject({ status: '404', final: expect.stringContaining('front controller /main.php') });
  });
});
