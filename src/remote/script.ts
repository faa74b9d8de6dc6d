/**
 * The remote program: the modules of src/remote/modules joined in a fixed order into the one bash script
 * the engine runs for every command (`bash -c '<script>' php-deploy <command> key=value…`, or the server's
 * verified copy of it: delivery.ts), with the
 * PHP programs of src/remote/php put in as here-documents. Joined when bundled (esbuild's text loader),
 * so the server still receives one script.
 *
 * A new module: add the file as NN-name.sh (first line: its purpose, second `# shellcheck shell=bash`)
 * and import it here in its place; test/unit/contract.test.ts checks that every file is joined.
 */
import core from './modules/00-core.sh';
import config from './modules/10-config.sh';
import layout from './modules/20-layout.sh';
import lock from './modules/30-lock.sh';
import manifest from './modules/40-manifest.sh';
import php from './modules/45-php.sh';
import upload from './modules/50-upload.sh';
import shared from './modules/55-shared.sh';
import hooks from './modules/60-hooks.sh';
import health from './modules/65-health.sh';
import switching from './modules/70-switch.sh';
import activate from './modules/75-activate.sh';
import prune from './modules/80-prune.sh';
import rollback from './modules/85-rollback.sh';
import abort from './modules/90-abort.sh';
import readonlyCommands from './modules/92-readonly.sh';
import exitPath from './modules/95-exit.sh';
import main from './modules/99-main.sh';
import fcgiRequest from './php/fcgi-request.php';
import platformProbe from './php/platform-probe.php';
import opcacheReset from './php/opcache-reset.php';

/** The modules in the order they are joined (file name → text). */
export const REMOTE_MODULES: readonly (readonly [name: string, text: string])[] = [
  ['00-core.sh', core],
  ['10-config.sh', config],
  ['20-layout.sh', layout],
  ['30-lock.sh', lock],
  ['40-manifest.sh', manifest],
  ['45-php.sh', php],
  ['50-upload.sh', upload],
  ['55-shared.sh', shared],
  ['60-hooks.sh', hooks],
  ['65-health.sh', health],
  ['70-switch.sh', switching],
  ['75-activate.sh', activate],
  ['80-prune.sh', prune],
  ['85-rollback.sh', rollback],
  ['90-abort.sh', abort],
  ['92-readonly.sh', readonlyCommands],
  ['95-exit.sh', exitPath],
  ['99-main.sh', main],
];

/** The PHP programs, by the name their placeholder in 45-php.sh uses. */
export const REMOTE_PHP: Readonly<Record<string, string>> = {
  'fcgi-request': fcgiRequest,
  'platform-probe': platformProbe,
  'opcache-reset': opcacheReset,
};

/** PHP file text as code for `php -r` (which takes no opening tag), for the `<<'PHP'` here-document. */
function phpCode(name: string, text: string): string {
  if (!text.startsWith('<?php\n')) throw new Error(`src/remote/php/${name}.php must start with "<?php"`);
  const code = text.slice('<?php\n'.length).trimEnd();
  if (code.split('\n').includes('PHP')) throw new Error(`src/remote/php/${name}.php has a line "PHP", which ends its here-document`);
  return code;
}

/**
 * A module as it travels: without its comment lines (a quarter of the text; the script has to fit in
 * one shell argument, at most 128 KiB, see test/unit/remote-limits.test.ts). shellcheck directives stay,
 * so the joined script is checked as it is sent (scripts/lint-remote.sh). Comment lines inside a
 * multi-line quoted string would go too: the modules have none but awk comments.
 */
export function withoutComments(module: string): string {
  return module
    .split('\n')
    .filter((line) => !/^\s*#/.test(line) || /^\s*# shellcheck /.test(line))
    .join('\n');
}

export function joinRemoteScript(modules = REMOTE_MODULES, phpFiles = REMOTE_PHP): string {
  let text = modules.map(([, t]) => withoutComments(t).trimEnd() + '\n').join('\n');
  for (const [name, code] of Object.entries(phpFiles)) {
    const placeholder = `\n@@php-deploy-php ${name}@@\n`;
    if (!text.includes(placeholder)) throw new Error(`the remote modules have no placeholder for ${name}.php`);
    text = text.replace(placeholder, () => `\n${phpCode(name, code)}\n`);
  }
  if (text.includes('@@php-deploy-php ')) throw new Error('a PHP placeholder in the remote modules has no file');
  return text;
}

/** The one script the engine sends. */
export const REMOTE_SCRIPT = joinRemoteScript();
