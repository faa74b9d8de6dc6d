/**
 * The remote program: the modules of src/remote/modules joined in a fixed order into the one bash script
 * the engine sends with every command (`bash -c '<script>' php-deploy <command> key=value…`). Joined
 * when bundled (esbuild's text loader), so the server still receives one script and nothing is
 * installed there.
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
import main from './modules/99-main.sh';

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
  ['99-main.sh', main],
];

export function joinRemoteScript(modules = REMOTE_MODULES): string {
  return modules.map(([, t]) => t.trimEnd() + '\n').join('\n');
}

/** The one script the engine sends. */
export const REMOTE_SCRIPT = joinRemoteScript();
