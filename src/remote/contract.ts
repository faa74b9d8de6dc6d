/**
 * The protocol between the engine and the remote program, declared once: which `key=value` arguments
 * each remote command takes and which `@@php-deploy result <key> <value>` lines it prints for the engine.
 * commands.ts builds command lines only from declared arguments (remoteCommand refuses others), the
 * engine reads only declared result keys (RemoteOutput.result takes a ResultKey), and
 * test/unit/contract.test.ts checks both ways against the joined script: every argument here is parsed
 * by parse_args (modules/10-config.sh) and every parsed key is here; every result here is printed and
 * every printed result is here; every command here is dispatched by main (modules/99-main.sh) and back.
 *
 * Every command also gets `nonce=<hex>` from runRemote (engine/hosts.ts), never from a builder: the
 * remote program reads it first (set_nonce) and puts it in every protocol line (see protocol.ts).
 *
 * A new argument: add it to REMOTE_ARGS with its meaning, to the commands that take it, and to the
 * `case` of parse_args (and the readonly list below it). A new result: add it to REMOTE_RESULTS and to
 * the commands that print it, print it with `result <key> <value>`, read it with out.result('<key>').
 */

/** Every argument the remote program accepts, with its meaning. Repeated keys build lists. */
export const REMOTE_ARGS = {
  path: 'the deploy path (absolute)',
  id: 'the deploy id, which names the release',
  token: "the lock token of this deploy (the lock is this deploy's when the token matches)",
  holder: 'who holds the lock, or why a deploy is cancelled or aborted',
  ttl: 'the lease of the lock, seconds',
  wait: 'how long to wait for a lock held by another deploy, seconds',
  version: 'the version label of the release',
  sha: 'the git commit of the release',
  context: 'JSON object of facts merged into the deploy log line',
  base: 'the release the upload is a delta against (its unchanged files are hard-linked)',
  manifest_bytes: "the length of the gzip'd manifest that precedes the archive on stdin",
  need_bytes: 'the size of the release, for the disk check',
  php_cli: '1 when hooks run php, so the CLI is probed',
  want_manifest: "1 to print the live release's manifest (preflight)",
  have_manifest: "sha256 of the live release's manifest the engine already has (begin then says manifest_same instead of sending it)",
  expect_release: '1 when the post-switch answer must name the release (health-expect-release)',
  event: 'the deploy log event of a note, or the one records looks for',
  migration_re: 'extended regular expression of migration file paths',
  guard: 'the migration guard mode (off, warn, forbid)',
  backup: 'the backup command run before once-commands',
  backup_keep: 'how many backups to keep',
  target: 'the release to roll back to (default: the one before the live one)',
  keep: 'how many completed releases to keep',
  health_url: 'the post-switch check through the web server',
  health_timeout: 'how long the checks retry, seconds',
  fpm_socket: 'the php-fpm socket of the pre-switch check',
  fpm_uri: 'the request URI of the pre-switch check',
  fpm_host: 'the Host of the pre-switch check',
  document_root: "the release's document root, relative ('.' for the release root)",
  front_controller: 'the script under the document root that answers URLs naming no file (try_files … /index.php)',
  reload: 'the reload command run after the switch',
  shared: 'a shared path (repeated; a trailing / means a directory)',
  writable: 'a shared path the web server must be able to write (repeated)',
  writable_mode: 'how writable paths are opened: group or acl',
  opcache_reset: "1 to clear the pool's OPcache after each switch (opcache_reset() through fpm_socket)",
  writable_by: "the web server's group (group) or user (acl)",
  before: 'a before-switch command (repeated)',
  once: 'a once-command (repeated)',
  after: 'an after-switch command (repeated)',
  owner: 'internal (__renewer): the process whose life the renewer is tied to',
} as const;
export type ArgKey = keyof typeof REMOTE_ARGS;

/** Every result the remote program prints for the engine, with its meaning. */
export const REMOTE_RESULTS = {
  live: 'the live release id (empty: none)',
  previous: 'the release live before this one (the rollback target of the next rollback)',
  base: "the live release, when it is exactly what was verified: the delta base (its manifest follows, gzip'd)",
  manifest_same: "1: the base's manifest is the one the engine has (have_manifest), so it was not sent",
  missing_shared: 'a shared path that does not exist yet (repeated)',
  would_prune: 'a release the next deploy would remove (repeated)',
  release_path: 'where the uploaded release was put',
  switch_at_ms: 'when the switch happened, epoch milliseconds',
  switch_ms: 'how long the switch took, milliseconds',
  rolled_back: "'true' when a failure switched back to the previous release",
  warning: 'a warning for the user (repeated)',
  target: 'the release a rollback made live',
  missing: 'the rollback target that does not exist',
  unlocked: 'the lock that unlock removed',
  fpm_platform: 'JSON {php, sapi, extensions} of the php-fpm pool',
  cli_platform: 'JSON {php, sapi, extensions} of the PHP CLI',
  record: 'a deploy log line (JSON) of the release and event records asked for (repeated)',
  shared_type: "'<d|f|o> <path>': what an existing shared path is in shared/ (repeated)",
  // The exit path (modules/95-exit.sh): every state-changing command prints these four as it ends,
  // whatever ended it; the engine acts on them (ExitFacts in protocol.ts) instead of guessing.
  exit_lock: "held (the deploy's next step goes on) · released · lost (another deploy or unlock took it) · none (never reached)",
  exit_release: 'ok (completed, live) · ready (uploaded/prepared/switched and checked) · removed · kept-failed (was live for a moment) · none',
  exit_renewer: 'stopped (a renewer ran and was stopped) · none',
  exit_switched_back: 'the release current was switched back to (empty: none, a first deploy); only when that happened',
} as const;
export type ResultKey = keyof typeof REMOTE_RESULTS;

export interface RemoteCommandSpec {
  readonly args: readonly ArgKey[];
  readonly results: readonly ResultKey[];
}

const HEALTH = ['health_url', 'health_timeout', 'fpm_socket', 'fpm_uri', 'fpm_host', 'document_root', 'front_controller', 'reload', 'opcache_reset', 'expect_release'] as const;
const LOCK = ['path', 'id', 'token', 'holder', 'ttl'] as const;
const EXIT = ['exit_lock', 'exit_release', 'exit_renewer', 'exit_switched_back'] as const;
const WRITABLE = ['writable', 'writable_mode', 'writable_by'] as const;
const ACTIVATION: RemoteCommandSpec = {
  args: ['backup', 'backup_keep', 'once', ...LOCK, 'version', 'sha', 'context', 'keep', ...HEALTH, 'shared', ...WRITABLE, 'before', 'after'],
  results: ['previous', 'switch_at_ms', 'switch_ms', 'rolled_back', 'warning', ...EXIT],
};

/** Each remote command: the arguments it takes and the results it prints. */
export const REMOTE_COMMANDS = {
  preflight: {
    args: ['path', 'need_bytes', 'php_cli', 'want_manifest', ...HEALTH, 'shared', ...WRITABLE],
    results: ['live', 'fpm_platform', 'cli_platform', 'shared_type'],
  },
  inspect: { args: ['path', 'keep', 'shared'], results: ['live', 'previous', 'base', 'missing_shared', 'would_prune'] },
  begin: { args: [...LOCK, 'wait', 'shared', 'have_manifest'], results: ['live', 'previous', 'base', 'manifest_same', 'missing_shared', ...EXIT] },
  // Renews the lease while its channel stays open (src/engine/lease.ts); ends at EOF.
  hold: { args: LOCK, results: [] },
  upload: { args: [...LOCK, 'base', 'manifest_bytes', 'version', 'sha', 'migration_re'], results: ['release_path', ...EXIT] },
  activate: ACTIVATION,
  prepare: ACTIVATION,
  switch: ACTIVATION,
  finish: ACTIVATION,
  abort: { args: ['path', 'id', 'token', 'holder', 'context', ...HEALTH], results: ['rolled_back', 'warning', ...EXIT] },
  cancel: { args: ['path', 'id', 'holder'], results: [] },
  note: { args: ['path', 'id', 'event', 'context'], results: [] },
  records: { args: ['path', 'id', 'event'], results: ['record'] },
  rollback: {
    args: ['migration_re', 'guard', 'path', 'target', 'token', 'holder', 'ttl', 'wait', 'context', ...HEALTH],
    results: ['previous', 'target', 'missing', 'switch_at_ms', 'switch_ms', 'rolled_back', 'warning', ...EXIT],
  },
  list: { args: ['path'], results: ['live'] },
  unlock: { args: ['path', 'context'], results: ['unlocked'] },
  // Lock upkeep: the activation renews its own lease; the engine uses neither today (tests do).
  renew: { args: LOCK, results: [] },
  'release-lock': { args: ['path', 'token'], results: [] },
} as const satisfies Record<string, RemoteCommandSpec>;
export type RemoteCommandName = keyof typeof REMOTE_COMMANDS;
