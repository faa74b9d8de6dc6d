/** Markdown for the job summary (and the CLI's --summary): what went where, timings, how to roll back. */
import type { HostListing, RunResult } from '../engine/types.js';

const esc = (s: string | number | undefined): string => String(s ?? '').replace(/\|/g, '\\|');

export function renderSummary(r: RunResult, deployPath: string): string {
  const title =
    r.command === 'deploy'
      ? `### php-deploy: deployed \`${r.deployId}\`${r.version ? ` (${esc(r.version)})` : ''}`
      : `### php-deploy: rolled back to \`${r.deployId}\``;
  const lines = [title, '', `Path \`${deployPath}\` on ${r.hosts.length} host(s) in ${(r.durationMs / 1000).toFixed(1)} s.`, ''];
  lines.push('| host | release | previous | switch | sent | result |', '|---|---|---|---|---|---|');
  for (const h of r.hosts) {
    const sent = h.sentFiles !== undefined ? `${h.sentFiles} files, ${((h.sentBytes ?? 0) / 1e6).toFixed(1)} MB (${h.linkedFiles ?? 0} linked)` : '';
    const result = h.ok ? (h.rolledBack ? 'switched back' : 'ok') : `failed: ${esc(h.error)}`;
    lines.push(`| ${esc(h.host)} | \`${esc(h.deployId)}\` | \`${esc(h.previousDeployId)}\` | ${Number.isFinite(h.switchMs) ? `${h.switchMs} ms` : ''} | ${sent} | ${result} |`);
  }
  lines.push('', '| phase | time |', '|---|---|');
  for (const p of r.phases) lines.push(`| ${p.name} | ${(p.ms / 1000).toFixed(2)} s |`);
  if (r.previousDeployId) {
    lines.push(
      '',
      '**Roll back** to the release that was live before: run the rollback workflow with `deploy-id` ' +
        `\`${r.previousDeployId}\`, or \`php-deploy rollback --deploy-id ${r.previousDeployId}\`.`,
    );
  }
  return lines.join('\n') + '\n';
}

export function renderListing(listings: HostListing[]): string {
  const out: string[] = [];
  for (const l of listings) {
    out.push(`${l.host}${l.lock ? `  (locked: ${l.lock})` : ''}`);
    if (l.releases.length === 0) out.push('  no releases');
    for (const r of [...l.releases].reverse()) {
      out.push(`  ${r.live ? '*' : ' '} ${r.id.padEnd(28)} ${(r.version ?? '').padEnd(16)} ${(r.created ?? '').padEnd(21)} ${r.status}`);
    }
  }
  return out.join('\n') + '\n';
}
