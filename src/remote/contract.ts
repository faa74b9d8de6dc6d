/**
 * The protocol between the engine and the remote program, declared once: which `key=value` arguments
 * each remote command takes and which `@@php-deploy result <key> <value>` lines it prints for the engine.
 * commands.ts builds command lines only from declared arguments (remoteCommand refuses others), the
 * engine reads only declared result keys (RemoteOutput.result takes a ResultKey), and
 * test/unit/contract.test.ts checks both ways against the joined script: every argument here is parsed
 * by parse_args (modules/10-config.sh) and every parsed key is here; every result here is printed and
 * every printed result is here; every command here is dispatched by main (modules/99-main.sh) and back.
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
  manifest_bytes: 'the length of the manifest that precedes the archive on stdin',
  need_bytes: 'the size of the release, for the disk check',
  php_cli: '1 when hooks run php, so the CLI is probed',
  want_manifest: "1 to print the live release's manifest (preflight)",
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
  document_root: "the release's document root, relative",
  reload: 'the reload command run after the switch',
  opcache_reset: "1 to clear the pool's OPcache after each switch (opcache_reset() through fpm_socket)",
  shared: 'a shared path (repeated)',
  before: 'a before-switch command (repeated)',
  once: 'a once-command (repeated)',
  after: 'an after-switch command (repeated)',
} as const;
export type ArgKey = keyof typeof REMOTE_ARGS;

/** Every result the remote program prints for the engine, with its meaning. */
export const REMOTE_RESULTS = {
  live: 'the live release id (empty: none)',
  previous: 'the release live before this one (the rollback target of the next rollback)',
  base: "the live release, when it is exactly what was verified: the delta base (its manifest follows)",
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
} as const;
export type ResultKey = keyof typeof REMOTE_RESULTS;

export interface RemoteCommandSpec {
  readonly args: readonly ArgKey[];
  readonly results: readonly ResultKey[];
}

const HEALTH = ['health_url', 'health_timeout', 'fpm_socket', 'fpm_uri', 'fpm_host', 'document_root', 'reload', 'opcache_reset', 'expect_release'] as const;
const LOCK = ['path', 'id', 'token', 'holder', 'ttl'] as const;
const ACTIVATION: RemoteCommandSpec = {
  args: ['backup', 'backup_keep', 'once', ...LOCK, 'version', 'sha', 'context', 'keep', ...HEALTH, 'shared', 'before', 'after'],
  results: ['previous', 'switch_at_ms', 'switch_ms', 'rolled_back', 'warning'],
};

/** Each remote command: the arguments it takes and the results it prints. */
export const REMOTE_COMMANDS = {
  preflight: { args: ['path', 'need_bytes', 'php_cli', 'want_manifest', ...HEALTH], results: ['live', 'fpm_platform', 'cli_platform'] },
  inspect: { args: ['path', 'keep', 'shared'], results: ['live', 'previous', 'base', 'missing_shared', 'would_prune'] },
  begin: { args: [...LOCK, 'wait', 'shared'], results: ['live', 'previous', 'base', 'missing_shared'] },
  upload: { args: [...LOCK, 'base', 'manifest_bytes', 'version', 'sha'], results: ['release_path'] },
  activate: ACTIVATION,
  prepare: ACTIVATION,
  switch: ACTIVATION,
  finish: ACTIVATION,
  abort: { args: ['path', 'id', 'token', 'holder', 'context', ...HEALTH], results: ['rolled_back', 'warning'] },
  cancel: { args: ['path', 'id', 'holder'], results: [] },
  note: { args: ['path', 'id', 'event', 'context'], results: [] },
  records: { args: ['path', 'id', 'event'], results: ['record'] },
  rollback: {
    args: ['migration_re', 'guard', 'path', 'target', 'token', 'holder', 'ttl', 'wait', 'context', ...HEALTH],
    results: ['previous', 'target', 'missing', 'switch_at_ms', 'switch_ms', 'rolled_back', 'warning'],
  },
  list: { args: ['path'], results: ['live'] },
  unlock: { args: ['path', 'context'], results: ['unlocked'] },
  // Lock upkeep: the activation renews its own lease; the engine uses neither today (tests do).
  renew: { args: LOCK, results: [] },
  'release-lock': { args: ['path', 'token'], results: [] },
} as const satisfies Record<string, RemoteCommandSpec>;
export type RemoteCommandName = keyof typeof REMOTE_COMMANDS;
