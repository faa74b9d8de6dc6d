/**
 * Remote commands as text. Each is `bash -c '<remote script>' php-deploy <command> key=value…` (the
 * script: src/remote/script.ts joins src/remote/modules; engine/hosts.ts sends it through the server's
 * cache, see delivery.ts) and every value is one single-quoted argument, so no value is ever parsed
 * by the remote shell.
 */
import type { Settings } from '../config/settings.js';
import { globsToEre } from '../migrations/ere.js';
import { REMOTE_COMMANDS, type ArgKey, type RemoteCommandName } from './contract.js';
import { REMOTE_SCRIPT } from './script.js';

export { REMOTE_SCRIPT };

/** Quotes a value for a POSIX shell: the result is always exactly one word, whatever the input. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('cannot pass a NUL byte to a remote command');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export type RemoteArg = readonly [key: ArgKey, value: string | number | undefined];

/** A command line for one remote command; only the arguments src/remote/contract.ts declares for it. */
export function remoteCommand(command: RemoteCommandName, args: readonly RemoteArg[], script = REMOTE_SCRIPT): string {
  const takes: readonly string[] = REMOTE_COMMANDS[command].args;
  const words = args
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => {
      if (!takes.includes(k)) throw new Error(`remote command ${command} takes no argument ${k} (see src/remote/contract.ts)`);
      return shellQuote(`${k}=${v}`);
    });
  return ['bash', '-c', shellQuote(script), 'php-deploy', command, ...words].join(' ');
}

/** What a deploy needs on every remote call: where, who, which release. */
export interface DeployRef {
  deployPath: string;
  deployId: string;
  token: string;
}

function common(s: Settings, ref: DeployRef): RemoteArg[] {
  return [
    ['path', ref.deployPath],
    ['id', ref.deployId],
    ['token', ref.token],
    ['holder', s.who],
    ['ttl', s.lockTtlSec],
  ];
}

function logContext(s: Settings): string {
  return JSON.stringify({ version: s.version, sha: s.gitSha, by: s.who, ...s.logContext });
}

function healthArgs(s: Settings): RemoteArg[] {
  const url = s.healthUrl ? new URL(s.healthUrl) : undefined;
  return [
    ['health_url', s.healthUrl],
    ['health_timeout', s.healthTimeoutSec],
    ['fpm_socket', s.fpmSocket],
    ['fpm_uri', url ? url.pathname + url.search : '/'],
    ['fpm_host', url ? url.host : 'localhost'],
    ['document_root', s.documentRoot],
    ['front_controller', s.frontController],
    ['reload', s.reloadCommand],
    ['opcache_reset', s.opcacheReset ? 1 : undefined],
    ['expect_release', s.healthExpectRelease ? 1 : 0],
  ];
}

/** Shared paths the web server's user must write, and how (group or ACL). */
function writableArgs(s: Settings): RemoteArg[] {
  if (s.writable.length === 0) return [];
  return [...s.writable.map((p): RemoteArg => ['writable', p]), ['writable_mode', s.writableMode], ['writable_by', s.writableBy]];
}

/** Read-only: can this server take the release (tools, permissions, disk, php-fpm platform)? */
export function preflightCommand(s: Settings, needBytes: number, opts: { wantManifest?: boolean } = {}): string {
  const usesPhp = [...s.beforeSwitch, ...s.afterSwitch].some((c) => /(^|[\s;&|(])php(\s|$)|artisan|bin\/console/.test(c));
  return remoteCommand('preflight', [
    ['path', s.deployPath],
    ['need_bytes', needBytes],
    ['php_cli', usesPhp ? 1 : 0],
    ['want_manifest', opts.wantManifest ? 1 : 0],
    ...healthArgs(s),
    ...s.shared.map((p): RemoteArg => ['shared', p]),
    ...writableArgs(s),
  ]);
}

/** Read-only: what a deploy would find (live release, delta base, missing shared paths, prune plan). */
export function inspectCommand(s: Settings): string {
  return remoteCommand('inspect', [
    ['path', s.deployPath],
    ['keep', s.keepReleases],
    ...s.shared.map((p): RemoteArg => ['shared', p]),
  ]);
}

/** Lock the deploy path, clean leftovers, report the live release and its manifest. */
export function beginCommand(s: Settings, ref: DeployRef, haveManifestSha?: string): string {
  return remoteCommand('begin', [
    ...common(s, ref),
    ['wait', s.lockTimeoutSec],
    ...s.shared.map((p): RemoteArg => ['shared', p]),
    ['have_manifest', haveManifestSha],
  ]);
}

/**
 * Keeps this deploy's lease alive while the channel stays open: renews it every ttl/3 as long as the
 * lock is still this deploy's; ends at EOF on stdin (the engine is done, died, or lost the connection)
 * and, with a failure line naming who took it and when, once the lock belongs to someone else.
 */
export function holdCommand(s: Settings, ref: DeployRef): string {
  return remoteCommand('hold', common(s, ref));
}

/**
 * Receive the gzip'd manifest (manifestBytes long) and then the tar.gz on stdin into releases/<id>.partial,
 * hard-linking unchanged files from the base release; verify it, then rename it into place.
 */
export function uploadCommand(s: Settings, ref: DeployRef, baseId: string | undefined, manifestBytes: number): string {
  return remoteCommand('upload', [
    ...common(s, ref),
    ['base', baseId],
    ['manifest_bytes', manifestBytes],
    ['version', s.version],
    ['sha', s.gitSha],
    ['migration_re', globsToEre(s.migrationsPath)],
  ]);
}

/**
 * Activation steps. `activate` runs all three in one round trip (one host); several hosts run
 * `prepare` everywhere, then `switch` everywhere, then `finish` everywhere.
 *   prepare  link shared, once-commands (only where `once` is true), before-switch, check through php-fpm
 *   switch   rename current, reload, check through the web server (switch back on failure)
 *   finish   mark completed, log, after-switch, prune, unlock
 */
export type ActivationStep = 'activate' | 'prepare' | 'switch' | 'finish';

export function activateCommand(
  s: Settings,
  ref: DeployRef,
  step: ActivationStep = 'activate',
  opts: { once?: boolean; backup?: boolean } = {},
): string {
  const once = opts.once ?? step === 'activate';
  return remoteCommand(step, [
    ...(once && opts.backup && s.backupCommand ? ([['backup', s.backupCommand], ['backup_keep', s.backupKeep]] as RemoteArg[]) : []),
    ...(once ? s.onceCommands.map((c): RemoteArg => ['once', c]) : []),
    ...common(s, ref),
    ['version', s.version],
    ['sha', s.gitSha],
    ['context', logContext(s)],
    ['keep', s.keepReleases],
    ...healthArgs(s),
    ...s.shared.map((p): RemoteArg => ['shared', p]),
    ...writableArgs(s),
    ...s.beforeSwitch.map((c): RemoteArg => ['before', c]),
    ...s.afterSwitch.map((c): RemoteArg => ['after', c]),
  ]);
}

/** Undo a deploy that stopped half-way: never leaves `current` on an unchecked release. */
export function abortCommand(s: Settings, ref: DeployRef, reason: string): string {
  return remoteCommand('abort', [
    ['path', ref.deployPath],
    ['id', ref.deployId],
    ['token', ref.token],
    ['holder', reason],
    ['context', logContext(s)],
    ...healthArgs(s),
  ]);
}

/** Appends an event with facts (e.g. the artifact id) to the server's deploy log. */
export function noteCommand(ref: Pick<DeployRef, 'deployPath' | 'deployId'>, event: string, facts: Record<string, string | number>): string {
  return remoteCommand('note', [
    ['path', ref.deployPath],
    ['id', ref.deployId],
    ['event', event],
    ['context', JSON.stringify(facts)],
  ]);
}

/**
 * Read-only: the deploy log's `event` lines for release `deployId` (e.g. where its archive is
 * kept), each as a `result record <json line>`.
 */
export function recordsCommand(ref: Pick<DeployRef, 'deployPath' | 'deployId'>, event: string): string {
  return remoteCommand('records', [
    ['path', ref.deployPath],
    ['id', ref.deployId],
    ['event', event],
  ]);
}

/** Asks a running activation to stop before its switch (it removes the new release itself). */
export function cancelCommand(ref: DeployRef, reason: string): string {
  return remoteCommand('cancel', [
    ['path', ref.deployPath],
    ['id', ref.deployId],
    ['holder', reason],
  ]);
}

export function rollbackCommand(s: Settings, token: string): string {
  return remoteCommand('rollback', [
    ['migration_re', globsToEre(s.migrationsPath)],
    ['guard', s.migrations],
    ['path', s.deployPath],
    ['target', s.deployId],
    ['token', token],
    ['holder', s.who],
    ['ttl', s.lockTtlSec],
    ['wait', s.lockTimeoutSec],
    ['context', JSON.stringify({ by: s.who, ...s.logContext })],
    ...healthArgs(s),
  ]);
}

export function listCommand(s: Settings): string {
  return remoteCommand('list', [['path', s.deployPath]]);
}

export function unlockCommand(s: Settings): string {
  return remoteCommand('unlock', [
    ['path', s.deployPath],
    ['context', JSON.stringify({ by: s.who, ...s.logContext })],
  ]);
}
