/**
 * The CLI's help: per command, options grouped, wrapped to the terminal, with examples. Lists only
 * the options that apply to the command and to the CLI (action-only inputs are left out).
 */
import { OPTIONS, type Command, type OptionSpec } from '../config/options.js';
import { LIST_OPTIONS } from './input-helper.js';

const GROUPS: readonly { title: string; names: readonly string[] }[] = [
  {
    title: 'Connection',
    names: ['hosts', 'ssh-user', 'ssh-key', 'ssh-key-passphrase', 'known-hosts', 'ssh-proxy-jump', 'ssh-timeout', 'deploy-path'],
  },
  {
    title: 'Release',
    names: [
      'source',
      'exclude',
      'release-version',
      'deploy-id',
      'shared',
      'document-root',
      'before-switch',
      'after-switch',
      'reload-command',
      'opcache-reset',
      'keep-releases',
      'backup-command',
      'backup-keep',
    ],
  },
  { title: 'Checks', names: ['health-url', 'health-timeout', 'health-expect-release', 'fpm-socket', 'migrations', 'migrations-path'] },
  { title: 'Many servers', names: ['strategy', 'batch-size', 'rolling-failure', 'max-parallel'] },
  { title: 'Safety', names: ['dry-run', 'lock-timeout', 'lock-ttl'] },
];

/** Inputs that mean something only in GitHub Actions (or are the command word): not in CLI help. */
const NOT_CLI: ReadonlySet<string> = new Set(['command', 'artifact', 'artifact-retention-days', 'github-token']);

const SUMMARIES: Record<Command, string> = {
  deploy: 'ship --source to every host, check it through php-fpm, switch, check again',
  rollback: 'switch back to --deploy-id (default: the release before the live one)',
  list: "show each host's releases and which one is live",
  unlock: 'remove a stuck lock and say who held it',
};

const CONNECT = '--hosts deploy@web1.example.com --ssh-key-file ~/.ssh/deploy_key --known-hosts-file known_hosts --deploy-path /var/www/app';
const EXAMPLES: Record<Command, readonly string[]> = {
  deploy: [
    `php-deploy deploy ${CONNECT} --source build --shared .env --shared storage --health-url http://127.0.0.1/up --fpm-socket /run/php/php8.2-fpm.sock`,
    `php-deploy deploy ${CONNECT} --source build --dry-run`,
  ],
  rollback: [`php-deploy rollback ${CONNECT}`, `php-deploy rollback ${CONNECT} --deploy-id 20261122T101530Z-a1b2c3d`],
  list: [`php-deploy list ${CONNECT} --json`],
  unlock: [`php-deploy unlock ${CONNECT}`],
};

/** Terminal width for wrapping: the terminal's, else $COLUMNS, else 80 (kept within 60–120). */
export function helpWidth(columns = process.stdout.columns, env: NodeJS.ProcessEnv = process.env): number {
  const n = columns || Number(env.COLUMNS) || 80;
  return Math.max(60, Math.min(120, n));
}

/** Word-wraps `text` to `width`, every line after the first indented by `indent` spaces. */
export function wrap(text: string, width: number, indent: number, firstIndent = indent): string[] {
  // A word longer than a line (a long path in an example) is cut into pieces that fit.
  const room = Math.max(10, width - indent);
  const words = text
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((w) => (w.length <= room ? [w] : (w.match(new RegExp(`.{1,${room}}`, 'g')) ?? [w])));
  const lines: string[] = [];
  let line = ' '.repeat(firstIndent);
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = ' '.repeat(indent) + w;
    } else {
      line += (empty ? '' : ' ') + w;
    }
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}

const COL = 28;
const GLUE = '\u0001';

/** A shell command wrapped with `\` continuations, never between a flag and its value. */
function example(command: string, width: number): string[] {
  const glued = command.replace(/(--[\w-]+) (?!-)(\S+)/g, `$1${GLUE}$2`);
  const lines = wrap(glued, width - 2, 6, 2).map((l) => l.replaceAll(GLUE, ' '));
  return lines.map((l, i) => (i < lines.length - 1 ? `${l} \\` : l));
}

function entry(flag: string, text: string, width: number): string[] {
  const head = `  ${flag}`;
  if (head.length + 2 > COL) return [head, ...wrap(text, width, COL)];
  const [first = '', ...rest] = wrap(text, width, COL);
  return [head.padEnd(COL) + first.slice(COL), ...rest];
}

/** The description as the CLI shows it: backticks dropped, requirement, default and repeats appended. */
function describe(o: OptionSpec): string {
  const text = o.description.replace(/`/g, '').trim();
  const notes = [text.endsWith('.') ? text : `${text}.`];
  if (o.required && !/\brequired\b/i.test(text)) notes.push('Required.');
  if (o.default && !o.boolean) notes.push(`Default: ${/^[\w/:-]+$/.test(o.default) ? o.default : `'${o.default}'`}.`);
  if (LIST_OPTIONS.has(o.name)) notes.push('Repeat the flag for more.');
  return notes.join(' ');
}

function optionLines(o: OptionSpec, width: number): string[] {
  const value = o.boolean ? '' : ' <value>';
  if (o.fileVariant) {
    // The file first: a key given as --ssh-key text is visible to every user in `ps`.
    const env = `PHP_DEPLOY_${o.name.toUpperCase().replace(/-/g, '_')}`;
    return [
      ...entry(`--${o.name}-file <path>`, `${describe(o)} Read from this file.`, width),
      ...entry(`--${o.name} <text>`, `The same, as text${o.secret ? ` (visible in ps: prefer the file or ${env})` : ''}.`, width),
    ];
  }
  return entry(`--${o.name}${value}`, describe(o), width);
}

function applies(o: OptionSpec, command: Command): boolean {
  return !NOT_CLI.has(o.name) && (!o.commands || o.commands.includes(command));
}

export function commandHelp(command: Command, width = helpWidth()): string {
  const summary = SUMMARIES[command];
  const lines = [`Usage: php-deploy ${command} [options]`, '', ...wrap(`${summary[0]!.toUpperCase()}${summary.slice(1)}.`, width, 0), ''];
  const groups = GROUPS.map((g) => ({ title: g.title, options: g.names.map((n) => OPTIONS.find((o) => o.name === n)) }));
  // Options added to the table but not placed in a group still show.
  groups.push({ title: 'Other', options: OPTIONS.filter((o) => !GROUPS.some((g) => g.names.includes(o.name))) });
  for (const g of groups) {
    const opts = g.options.filter((o): o is OptionSpec => o !== undefined && applies(o, command));
    if (opts.length === 0) continue;
    lines.push(`${g.title}:`);
    for (const o of opts) {
      lines.push(...optionLines(o, width));
    }
    lines.push('');
  }
  lines.push(
    'Output:',
    ...entry('--json', 'print the result (or the failure) as JSON on stdout', width),
    ...entry('-v, --verbose', 'print each remote command and how long it took', width),
    ...entry('-h, --help', 'this help', width),
    ...entry('-V, --version', "print php-deploy's version", width),
    '',
    ...wrap('Every option is also the environment variable PHP_DEPLOY_<NAME> (PHP_DEPLOY_DEPLOY_PATH, PHP_DEPLOY_SSH_KEY_FILE, …); a flag wins.', width, 0),
    '',
    'Examples:',
  );
  for (const ex of EXAMPLES[command]) lines.push(...example(ex, width), '');
  lines.push(...wrap('Exit status: 0 done, 1 failed (one line names host, phase and cause), 2 bad input.', width, 0));
  return `${lines.join('\n')}\n`;
}

export function generalHelp(width = helpWidth()): string {
  const lines = [
    'Usage: php-deploy <command> [options]',
    '',
    ...wrap('Zero-downtime deploys of a CI-built PHP release over SSH, with sub-second rollback.', width, 0),
    '',
    'Commands:',
  ];
  for (const [c, s] of Object.entries(SUMMARIES)) lines.push(...entry(c, s, width));
  lines.push(
    '',
    ...wrap("Run 'php-deploy <command> --help' for the options of a command, grouped, with examples.", width, 0),
    '',
    'Every command needs:',
    ...entry('--hosts <value>', 'servers as [user@]host[:port]', width),
    ...entry('--ssh-key-file <path>', 'private key of the deploy user', width),
    ...entry('--known-hosts-file <path>', 'known_hosts lines for the servers (ssh-keyscan output you checked)', width),
    ...entry('--deploy-path <value>', 'absolute path on the server', width),
    '',
    ...entry('-h, --help', 'this help', width),
    ...entry('-V, --version', "print php-deploy's version", width),
    '',
    'Example:',
    ...example(EXAMPLES.deploy[0]!, width),
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** What a bare `php-deploy` prints (on stderr, exit 2). */
export function usageText(): string {
  return [
    'Usage: php-deploy <deploy|rollback|list|unlock> [options]',
    "No command given. Run 'php-deploy --help' for the commands, 'php-deploy deploy --help' for the options.",
    '',
  ].join('\n');
}
