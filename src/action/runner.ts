/**
 * The few GitHub Actions runner commands the action uses (inputs, outputs, state, log commands,
 * annotations, the job summary), written as @actions/core writes them. @actions/core itself pulls in
 * its HTTP client and undici for OIDC tokens at load time — about 0.1 s before any work on every
 * action start, most of a rollback's budget — so the action talks to the runner through this file.
 * Formats: workflow commands `::name key=value,…::message` (data escaped %, CR, LF; properties also
 * `:` and `,`); file commands `name<<ghadelimiter_<uuid>\nvalue\nghadelimiter_<uuid>\n` appended to
 * the file named by GITHUB_OUTPUT / GITHUB_STATE; the summary appended to GITHUB_STEP_SUMMARY.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

export const ExitCode = { Success: 0, Failure: 1 } as const;

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::command key=value,…::message` on stdout. */
export function issueCommand(command: string, properties: Record<string, string | undefined>, message: string): void {
  const props = Object.entries(properties)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${escapeProperty(v!)}`)
    .join(',');
  process.stdout.write(`::${command}${props ? ` ${props}` : ''}::${escapeData(message)}${EOL}`);
}

/** The `name<<delimiter` block of a file command. */
export function keyValueMessage(name: string, value: string): string {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`Unexpected input: contains the delimiter "${delimiter}"`);
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`;
}

function fileCommand(kind: 'OUTPUT' | 'STATE', fallback: string, name: string, value: string): void {
  const file = process.env[`GITHUB_${kind}`] || '';
  if (!file) {
    if (kind === 'OUTPUT') process.stdout.write(EOL);
    issueCommand(fallback, { name }, value);
    return;
  }
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  appendFileSync(file, `${keyValueMessage(name, value)}${EOL}`, { encoding: 'utf8' });
}

export function getInput(name: string, opts: { trimWhitespace?: boolean } = {}): string {
  const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
  return opts.trimWhitespace === false ? val : val.trim();
}

export const setOutput = (name: string, value: string): void => fileCommand('OUTPUT', 'set-output', name, value);
export const saveState = (name: string, value: string): void => fileCommand('STATE', 'save-state', name, value);
export const getState = (name: string): string => process.env[`STATE_${name}`] || '';
export const setSecret = (secret: string): void => issueCommand('add-mask', {}, secret);
export const info = (message: string): void => void process.stdout.write(message + EOL);
export const warning = (message: string, props: { title?: string } = {}): void => issueCommand('warning', { title: props.title }, message);
export const error = (message: string, props: { title?: string } = {}): void => issueCommand('error', { title: props.title }, message);
export const startGroup = (name: string): void => issueCommand('group', {}, name);
export const endGroup = (): void => issueCommand('endgroup', {}, '');
export const debug = (message: string): void => issueCommand('debug', {}, message);

export function setFailed(message: string): void {
  process.exitCode = ExitCode.Failure;
  error(message);
}

/** Appends markdown to the job summary (GITHUB_STEP_SUMMARY), as core.summary.addRaw(text).write() does. */
export function writeSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
  appendFileSync(file, markdown, { encoding: 'utf8' });
}
