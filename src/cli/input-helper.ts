/**
 * CLI arguments → raw inputs. Every option `foo-bar` is `--foo-bar` (or `--foo-bar=…`) and
 * `PHP_DEPLOY_FOO_BAR`; a flag wins over the environment. Options with a file variant also take
 * `--foo-bar-file PATH` (and `PHP_DEPLOY_FOO_BAR_FILE`). List options may be repeated (one entry
 * each); any other flag given twice is refused, as is an unknown flag (with the nearest known one).
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, envName, OPTIONS, type Command, type OptionSpec, type RawInputs } from '../config/options.js';
import { InputError } from '../errors.js';

export interface CliArgs {
  /** Undefined when no command word was given (and PHP_DEPLOY_COMMAND is not set). */
  command?: Command;
  raw: RawInputs;
  help: boolean;
  /** --version / -V: print the tool's version. */
  version: boolean;
  json: boolean;
  /** --verbose / -v: print each remote command and its timing. */
  verbose: boolean;
}

/** Options whose value is a list: each repeat of the flag adds a line. */
export const LIST_OPTIONS: ReadonlySet<string> = new Set(['hosts', 'exclude', 'shared', 'before-switch', 'after-switch', 'migrations-path']);

/** Flags of the CLI itself (not inputs of the engine). */
const CLI_SWITCHES: Record<string, keyof Pick<CliArgs, 'help' | 'version' | 'json' | 'verbose'>> = {
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '-V': 'version',
  '--json': 'json',
  '--verbose': 'verbose',
  '-v': 'verbose',
};

interface FlagSpec {
  option: OptionSpec;
  /** `--x-file`: the value is a path whose content is the option's value. */
  file: boolean;
}

function flagTable(): Map<string, FlagSpec> {
  const flags = new Map<string, FlagSpec>();
  for (const o of OPTIONS) {
    flags.set(`--${o.name}`, { option: o, file: false });
    if (o.fileVariant) flags.set(`--${o.name}-file`, { option: o, file: true });
  }
  return flags;
}

/** Damerau-free edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known flag nearest to `flag`, when it is near enough to be a typo. */
export function suggestFlag(flag: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    if (!k.startsWith('--')) continue;
    const d = editDistance(flag, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  const word = flag.replace(/^-+/, '');
  if (best && (bestD <= Math.max(2, Math.floor(word.length / 4)) || best.startsWith(flag) || best.includes(word))) return best;
  return undefined;
}

function unknownFlag(flag: string, flags: Map<string, FlagSpec>): InputError {
  const hint = suggestFlag(flag, [...flags.keys(), ...Object.keys(CLI_SWITCHES)]);
  return new InputError('arguments', `unknown option ${flag}${hint ? `; did you mean ${hint}?` : ''} (see php-deploy --help)`);
}

/** Plain words for the errno codes a user meets when naming a file. */
export function fileErrorWords(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return (err as Error).message;
  }
}

function readInputFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(flag, `cannot read ${path}: ${fileErrorWords(err)}`);
  }
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliArgs {
  const flags = flagTable();
  const out: CliArgs = { raw: {}, help: false, version: false, json: false, verbose: false };
  const given = new Map<OptionSpec, { flag: string; values: string[]; file: boolean }>();
  const positionals: string[] = [];
  let onlyPositionals = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const cliSwitch = CLI_SWITCHES[name];
    if (cliSwitch) {
      if (inline !== undefined) throw new InputError(name, 'takes no value');
      out[cliSwitch] = true;
      continue;
    }
    const spec = flags.get(name);
    if (!spec) throw unknownFlag(name, flags);
    let value: string;
    if (spec.option.boolean && !spec.file) {
      value = inline ?? 'true';
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && (flags.has(next.split('=')[0]!) || next in CLI_SWITCHES))) {
        throw new InputError(name, `needs a value${next ? ` (got the option ${next})` : ''}`);
      }
      value = next;
      i++;
    }
    const seen = given.get(spec.option);
    if (seen && (!LIST_OPTIONS.has(spec.option.name) || seen.file !== spec.file)) {
      const what = seen.flag === name ? `given twice ('${seen.values[0]}' and '${value}')` : `given both as ${seen.flag} and ${name}`;
      throw new InputError(name, `${what}; give it once`);
    }
    if (seen) seen.values.push(value);
    else given.set(spec.option, { flag: name, values: [value], file: spec.file });
  }

  const [commandWord, ...extra] = positionals;
  if (extra.length > 0) throw new InputError('arguments', `unexpected '${extra[0]}' (see php-deploy --help)`);
  for (const o of OPTIONS) {
    const g = given.get(o);
    const envFile = o.fileVariant ? env[`${envName(o.name)}_FILE`] : undefined;
    const envValue = env[envName(o.name)] || (o.deprecatedName ? env[envName(o.deprecatedName)] : undefined);
    if (g?.file) out.raw[o.name] = g.values.map((p) => readInputFile(g.flag.slice(2), p)).join('\n');
    else if (g) out.raw[o.name] = g.values.join('\n');
    else if (envFile) out.raw[o.name] = readInputFile(`${envName(o.name)}_FILE`, envFile);
    else out.raw[o.name] = envValue;
  }
  const command = commandWord ?? (out.raw.command?.trim() || undefined);
  if (command !== undefined && !COMMANDS.includes(command as Command) && !out.help) {
    const near = COMMANDS.find((c) => editDistance(c, command) <= 2);
    throw new InputError('command', `'${command}' is not one of ${COMMANDS.join(', ')}${near ? `; did you mean ${near}?` : ''} (see php-deploy --help)`);
  }
  if (command !== undefined && COMMANDS.includes(command as Command)) {
    out.command = command as Command;
    out.raw.command = command;
  }
  return out;
}

/** The required inputs of `command` that are empty, as the flags a user would type. */
export function missingRequired(raw: RawInputs): string[] {
  const missing: string[] = [];
  for (const o of OPTIONS) {
    if (!o.required || (raw[o.name] ?? '').trim() !== '') continue;
    missing.push(o.fileVariant ? `--${o.name}-file (or --${o.name})` : `--${o.name}`);
  }
  return missing;
}
