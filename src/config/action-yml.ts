/**
 * action.yml is rendered from the options table (`npm run bundle`), so the action's documented
 * inputs and the CLI's flags can never drift apart; a unit test fails when the file is stale.
 */
import { OPTIONS } from './options.js';

export const OUTPUTS: readonly { name: string; description: string }[] = [
  { name: 'deploy-id', description: 'Id of the release deployed (or rolled back to); pass it to a rollback as deploy-id.' },
  { name: 'previous-deploy-id', description: 'Id of the release that was live before.' },
  { name: 'release-path', description: 'Absolute path of the release on the server.' },
  { name: 'version', description: 'Version label of the release.' },
  { name: 'rolled-back', description: '"true" when a failed check switched the servers back automatically.' },
  { name: 'artifact-id', description: 'Id of the GitHub artifact holding the exact archive of the release.' },
  { name: 'duration-ms', description: 'Wall time of the command in milliseconds.' },
  { name: 'hosts-result', description: 'JSON array with one result per host (release, switch time, bytes sent, error).' },
  { name: 'plan', description: 'JSON plan of a dry run: per host what would be sent, created and pruned, and the checks.' },
  { name: 'releases', description: 'JSON listing of each host\'s releases (command: list).' },
];

const q = (s: string): string => JSON.stringify(s);

/** The Marketplace refuses a description of 125 characters or more. */
export const ACTION_DESCRIPTION =
  'Zero-downtime PHP deploys over SSH: a CI-built release, checked through php-fpm before it goes live, sub-second rollback.';
export const ACTION_AUTHOR = 'php-deploy contributors';

export function renderActionYml(): string {
  const lines = [
    '# Rendered from src/config/options.ts by `npm run bundle`; edit that file, not this one.',
    'name: php-deploy',
    `description: ${q(ACTION_DESCRIPTION)}`,
    `author: ${q(ACTION_AUTHOR)}`,
    'branding:',
    '  icon: upload-cloud',
    '  color: purple',
    'inputs:',
  ];
  for (const o of OPTIONS) {
    lines.push(`  ${o.name}:`);
    lines.push(`    description: ${q(o.description + (o.commands ? ` (${o.commands.join(', ')})` : ''))}`);
    lines.push(`    required: ${o.required ? 'true' : 'false'}`);
    if (o.default !== undefined && o.default !== '') lines.push(`    default: ${q(o.default)}`);
  }
  for (const o of OPTIONS) {
    if (!o.deprecatedName) continue;
    lines.push(`  ${o.deprecatedName}:`);
    lines.push(`    description: ${q(`Old name of ${o.name}.`)}`);
    lines.push('    required: false');
    lines.push(`    deprecationMessage: ${q(`Use ${o.name} instead; ${o.deprecatedName} will be removed in the next major version.`)}`);
  }
  lines.push('outputs:');
  for (const o of OUTPUTS) {
    lines.push(`  ${o.name}:`);
    lines.push(`    description: ${q(o.description)}`);
  }
  lines.push('runs:', '  using: node24', '  main: dist/index.js', '  post: dist/post.js', '  post-if: always()', '');
  return lines.join('\n');
}
