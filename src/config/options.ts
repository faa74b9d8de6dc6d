/**
 * Every input php-deploy takes, in one table. The action reads `INPUT_<NAME>`, the CLI reads
 * `--<name>` and `PHP_DEPLOY_<NAME>`; action.yml must list the same names and defaults (a unit test
 * checks that).
 */
export type Command = 'deploy' | 'rollback' | 'list' | 'unlock';
export const COMMANDS: readonly Command[] = ['deploy', 'rollback', 'list', 'unlock'];

export interface OptionSpec {
  name: string;
  description: string;
  /** Default as written in action.yml ('' = none). */
  default?: string;
  /** Commands that use it (all when absent). */
  commands?: readonly Command[];
  required?: boolean;
  /** Never printed; masked in GitHub logs. */
  secret?: boolean;
  /** A yes/no switch (CLI: `--name` alone means true). */
  boolean?: boolean;
  /** CLI only: also accept `--<name>-file <path>` whose content is the value. */
  fileVariant?: boolean;
  /**
   * An older name still read as the action input and the PHP_DEPLOY_ variable (deprecated in
   * action.yml), but not as a CLI flag.
   */
  deprecatedName?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'command', description: 'What to do: deploy, rollback, list or unlock.', default: 'deploy' },
  {
    name: 'hosts',
    description: 'Target servers, one or more `[user@]host[:port]`, separated by newlines or commas.',
    required: true,
  },
  { name: 'ssh-user', description: 'SSH user for hosts written without `user@`.' },
  {
    name: 'ssh-key',
    description: 'Private key (OpenSSH or PEM text) for SSH, e.g. the secret DEPLOY_KEY.',
    required: true,
    secret: true,
    fileVariant: true,
  },
  { name: 'ssh-key-passphrase', description: 'Passphrase of an encrypted ssh-key.', secret: true },
  {
    name: 'known-hosts',
    description:
      'known_hosts lines for the servers (`ssh-keyscan -p PORT HOST`, checked by you). Required: a host key is never trusted silently.',
    required: true,
    fileVariant: true,
  },
  { name: 'ssh-timeout', description: 'Seconds to wait for an SSH connection.', default: '20' },
  // Jump host (bastion), added with the CLI/release work of issue 15.
  {
    name: 'ssh-proxy-jump',
    description:
      "Jump host (bastion) to reach the servers through, `[user@]host[:port]`; several, comma-separated, are hops in order (as OpenSSH's ProxyJump). Each hop's host key must be in known-hosts; ssh-key logs in to each.",
  },
  {
    name: 'deploy-path',
    description: 'Absolute path on the server holding releases/, shared/, current and .php-deploy/.',
    required: true,
  },
  { name: 'source', description: 'Local directory to ship (vendor/ already installed).', default: '.', commands: ['deploy'] },
  {
    name: 'exclude',
    description:
      'Paths left out of the release, gitignore syntax, one per line. `.git` is always left out; a `.deployignore` in source is honoured.',
    commands: ['deploy'],
  },
  // Was `version`, which the CLI needs for `--version` (the tool's own version).
  {
    name: 'release-version',
    description: 'Label of this release. Default: the tag, else the short commit sha.',
    commands: ['deploy'],
    deprecatedName: 'version',
  },
  {
    name: 'deploy-id',
    description: 'Release to roll back to (as published by a deploy). Default: the release before the live one.',
    commands: ['rollback'],
  },
  {
    name: 'shared',
    description:
      'Paths kept under shared/ and linked into every release, one per line or comma-separated (e.g. `.env`, `storage`, `public/uploads`). A trailing `/` means a directory.',
  },
  {
    name: 'writable',
    description:
      'Shared paths (or paths inside them) the web server must be able to write when it runs as another user than the SSH user (e.g. `storage`, `public/uploads`), one per line; see writable-mode and writable-by.',
  },
  {
    name: 'writable-mode',
    description:
      'How writable paths are opened to the web server: `group` (its group, given in writable-by, owns them with g+rwX and setgid directories; the SSH user must be in that group) or `acl` (setfacl for the user given in writable-by, defaults on directories).',
    default: 'group',
  },
  { name: 'writable-by', description: 'The web server\'s group (writable-mode group) or user (writable-mode acl), e.g. `www-data`.' },
  {
    name: 'before-switch',
    description:
      'Commands run in the new release before it goes live, one per line; any failure stops the deploy. A line starting with `once:` (e.g. `once: php artisan migrate --force`) runs on the first host only, before the others.',
    commands: ['deploy'],
  },
  {
    name: 'migrations',
    description:
      'Migration guard: `forbid` refuses a release whose new migrations are irreversible or break the live release (DROP, RENAME, narrowing, NOT NULL without default, DELETE/UPDATE without WHERE …), before anything changes; `warn` only reports them; `off` skips the check.',
    default: 'forbid',
    commands: ['deploy', 'rollback'],
  },
  {
    name: 'migrations-path',
    description:
      'Globs of migration files, one per line; replaces discovery (default: the default folders, the folders doctrine_migrations.yaml or composer.json name, Doctrine/Laravel migration classes anywhere, per-driver SQL folders).',
    commands: ['deploy', 'rollback'],
  },
  {
    name: 'backup-command',
    description:
      'Command run on the first host before migrations when the release brings new ones, e.g. `mysqldump app | gzip > "$PHP_DEPLOY_BACKUP_DIR/$PHP_DEPLOY_ID.sql.gz"`; a failure stops the deploy.',
    commands: ['deploy'],
  },
  { name: 'backup-keep', description: 'Newest files kept in shared/backups.', default: '5', commands: ['deploy'] },
  {
    name: 'after-switch',
    description: 'Commands run in the new release after it is live and healthy, one per line.',
    commands: ['deploy'],
  },
  {
    name: 'health-url',
    description: 'URL the server itself can reach (e.g. `http://127.0.0.1/health`): checked through the web server after the switch; its path is also requested through php-fpm before the switch.',
  },
  {
    name: 'health-expect-release',
    description:
      'Fail the post-switch check (and switch back) unless the health-url response names the new release id, which catches a web server still serving the previous release.',
    default: 'false',
    boolean: true,
  },
  {
    name: 'health-timeout',
    description:
      'Seconds a health check waits for a warming app (no answer, 502, 503, 504) to answer 200. A redirect, a PHP fatal error or the same other status three times in a row fails at once.',
    default: '20',
  },
  {
    name: 'fpm-socket',
    description:
      'php-fpm pool address (unix socket path or host:port) for the check of the new release before it goes live.',
  },
  {
    name: 'document-root',
    description: 'Web root inside a release, as in the web server\'s `root` (e.g. `public`); `.` when the release root is the web root.',
    default: 'public',
  },
  {
    name: 'front-controller',
    description:
      'Script inside document-root that answers URLs naming no existing file (nginx `try_files $uri $uri/ /index.php?$query_string`).',
    default: 'index.php',
  },
  {
    name: 'reload-command',
    description: 'Command run on the server after each switch, e.g. `sudo systemctl reload php8.2-fpm`.',
  },
  // OPcache reset without a reload, added with issue 15.
  {
    name: 'opcache-reset',
    description:
      "After each switch, clear the pool's OPcache with an opcache_reset() request through fpm-socket (after reload-command, if any): for servers where the deploy user cannot reload php-fpm.",
    default: 'false',
    boolean: true,
    commands: ['deploy', 'rollback'],
  },
  {
    name: 'strategy',
    description:
      '`all-at-once`: prepare every host, then switch them all together (nothing goes live unless every host is ready). `rolling`: prepare, switch and check batch by batch.',
    default: 'all-at-once',
    commands: ['deploy'],
  },
  { name: 'batch-size', description: 'Hosts per batch with strategy rolling.', default: '1', commands: ['deploy'] },
  {
    name: 'rolling-failure',
    description: 'With strategy rolling, what to do with batches already switched when a later batch fails: `revert` them or `keep` them.',
    default: 'revert',
    commands: ['deploy'],
  },
  {
    name: 'artifact',
    description:
      'Keep the exact archive of each deployed release as a GitHub artifact, so a rollback can restore a release already pruned from the servers (`auto`: in GitHub Actions, for private and internal repositories only; artifacts of a public repository are public).',
    default: 'auto',
  },
  { name: 'artifact-retention-days', description: 'Days GitHub keeps the release archive (default: the repository setting).' },
  {
    name: 'github-token',
    description: 'Token (actions: read) to check and download the recorded archive of a release deployed by another run (rollback of a pruned release).',
    default: '${{ github.token }}',
    secret: true,
  },
  { name: 'max-parallel', description: 'Hosts worked on at the same time (connect, upload, prepare).', default: '10' },
  { name: 'keep-releases', description: 'Completed releases to keep (the live and previous ones are always kept).', default: '5' },
  {
    name: 'lock-timeout',
    description: 'Seconds to wait for another deploy holding the lock (0 = fail at once, naming the holder).',
    default: '0',
  },
  {
    name: 'dry-run',
    description:
      'Run every check and print the plan (hosts, release id, files to send, shared links, commands, releases to prune) without changing anything on any server. Fails when the real deploy would be refused.',
    default: 'false',
    boolean: true,
    commands: ['deploy'],
  },
  {
    name: 'lock-ttl',
    description: 'Seconds a lock lives without being renewed; a dead deploy\'s lock expires after this.',
    default: '300',
  },
];

/** `foo-bar` → `PHP_DEPLOY_FOO_BAR`. */
export function envName(name: string): string {
  return `PHP_DEPLOY_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** Raw values by option name, as a front end read them (undefined or '' = not given). */
export type RawInputs = Record<string, string | undefined>;
