/**
 * CLI arguments → raw inputs. Every option `foo-bar` is `--foo-bar` and `PHP_DEPLOY_FOO_BAR`; a flag wins
 * over the environment. Options with a file variant also take `--foo-bar-file PATH`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { COMMANDS, envName, OPTIONS, type Command, type RawInputs } from '../config/options.js';
import { InputError } from '../errors.js';

export interface CliArgs {
  command: Command;
  raw: RawInputs;
  help: boolean;
  json: boolean;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'boolean' },
  };
  for (const o of OPTIONS) {
    options[o.name] = o.boolean ? { type: 'boolean' } : { type: 'string', multiple: true };
    if (o.fileVariant) options[`${o.name}-file`] = { type: 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify.*$/, '');
    throw new InputError('arguments', `${msg} (see php-deploy --help)`);
  }
  const values = parsed.values as Record<string, string[] | string | boolean | undefined>;
  const [commandWord, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new InputError('arguments', `unexpected '${extra[0]}' (see php-deploy --help)`);

  const raw: RawInputs = {};
  for (const o of OPTIONS) {
    const flag = values[o.name];
    const fileFlag = o.fileVariant ? (values[`${o.name}-file`] as string | undefined) ?? env[`${envName(o.name)}_FILE`] : undefined;
    if (Array.isArray(flag)) raw[o.name] = flag.join('\n');
    else if (typeof flag === 'boolean') raw[o.name] = String(flag);
    else if (fileFlag) raw[o.name] = readInputFile(`${o.name}-file`, fileFlag);
    else raw[o.name] = env[envName(o.name)];
  }
  const command = (commandWord ?? raw.command ?? 'deploy') as Command;
  if (!values.help && !COMMANDS.includes(command)) {
    throw new InputError('command', `'${command}' is not one of ${COMMANDS.join(', ')} (see php-deploy --help)`);
  }
  raw.command = command;
  return { command, raw, help: values.help === true, json: values.json === true };
}

function readInputFile(input: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(input, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function helpText(command?: Command): string {
  const usage = command ? `php-deploy ${command} [options]` : 'php-deploy <deploy|rollback|list|unlock> [options]';
  const lines = [
    `Usage: ${usage}`,
    '',
    'Zero-downtime deploys of a CI-built PHP release over SSH, with sub-second rollback.',
    '  deploy    ship --source to every host, check it through php-fpm, switch, check again',
    '  rollback  switch back to --deploy-id (default: the release before the live one)',
    '  list      show each host\'s releases and which one is live',
    '  unlock    remove a stuck lock and say who held it',
    '',
    'Options (each is also the env var PHP_DEPLOY_<NAME>, e.g. PHP_DEPLOY_DEPLOY_PATH):',
  ];
  for (const o of OPTIONS) {
    if (command && o.commands && !o.commands.includes(command)) continue;
    if (o.name === 'command') continue;
    const flag = `--${o.name}${o.boolean ? '' : ' <value>'}`;
    lines.push(`  ${flag.padEnd(30)} ${o.description}${o.default ? ` [default: ${o.default}]` : ''}${o.required ? ' (required)' : ''}`);
    if (o.fileVariant) lines.push(`  ${`--${o.name}-file <path>`.padEnd(30)} read ${o.name} from a file`);
  }
  lines.push('  --json                         print the result as JSON on stdout', '  -h, --help                     this help', '');
  lines.push('Exit status: 0 done, 1 deploy failed (one line names host, phase and cause), 2 bad input.');
  return lines.join('\n') + '\n';
}
