import { createRequire as __phpDeployCreateRequire } from 'node:module';
import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';
import { dirname as __phpDeployDirname } from 'node:path';
var require = __phpDeployCreateRequire(import.meta.url);
var __filename = __phpDeployFileURLToPath(import.meta.url);
var __dirname = __phpDeployDirname(__filename);

// src/report/summary.ts
var esc = (s) => String(s ?? "").replace(/\|/g, "\\|");
function renderSummary(r, deployPath) {
  const title = r.command === "deploy" ? `### php-deploy: deployed \`${r.deployId}\`${r.version ? ` (${esc(r.version)})` : ""}` : `### php-deploy: rolled back to \`${r.deployId}\``;
  const skew = r.skewMs !== void 0 ? ` All hosts switched within ${r.skewMs} ms.` : "";
  const lines = [title, "", `Path \`${deployPath}\` on ${r.hosts.length} host(s) in ${(r.durationMs / 1e3).toFixed(1)} s.${skew}`, ""];
  lines.push("| host | release | previous | switch | sent | result |", "|---|---|---|---|---|---|");
  for (const h of r.hosts) {
    const sent = h.sentFiles !== void 0 ? `${h.sentFiles} files, ${((h.sentBytes ?? 0) / 1e6).toFixed(1)} MB (${h.linkedFiles ?? 0} linked)` : "";
    const result = h.ok ? h.rolledBack ? "switched back" : "ok" : `failed: ${esc(h.error)}`;
    lines.push(`| ${esc(h.host)} | \`${esc(h.deployId)}\` | \`${esc(h.previousDeployId)}\` | ${Number.isFinite(h.switchMs) ? `${h.switchMs} ms` : ""} | ${sent} | ${result} |`);
  }
  lines.push("", "| phase | time |", "|---|---|");
  for (const p of r.phases) lines.push(`| ${p.name} | ${(p.ms / 1e3).toFixed(2)} s |`);
  if (r.artifact) lines.push("", `The exact archive of this release is kept as the artifact \`${esc(String(r.artifact.artifact ?? ""))}\`.`);
  if (r.restored) lines.push("", "The release had been pruned from the servers; it was restored from its kept archive.");
  if (r.previousDeployId) {
    lines.push(
      "",
      `**Roll back** to the release that was live before: run the rollback workflow with \`deploy-id\` \`${r.previousDeployId}\`, or \`php-deploy rollback --deploy-id ${r.previousDeployId}\`.`
    );
  }
  return lines.join("\n") + "\n";
}
function renderListing(listings) {
  const out = [];
  for (const l of listings) {
    out.push(`${l.host}${l.lock ? `  (locked: ${l.lock})` : ""}`);
    if (l.releases.length === 0) out.push("  no releases");
    for (const r of [...l.releases].reverse()) {
      out.push(`  ${r.live ? "*" : " "} ${r.id.padEnd(28)} ${(r.version ?? "").padEnd(16)} ${(r.created ?? "").padEnd(21)} ${r.status}`);
    }
  }
  return out.join("\n") + "\n";
}
function renderPlan(plan, deployPath) {
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  const out = [
    `Dry run \u2014 nothing was changed on any server.`,
    `release ${plan.deployId} (${plan.version}) \u2192 ${deployPath}/releases/${plan.deployId}`
  ];
  for (const h of plan.hosts) {
    out.push(`${h.host}:`);
    out.push(`  live release: ${h.live || "none (first deploy)"}`);
    out.push(
      h.base ? `  send ${h.sendFiles} new or changed files (${mb(h.sendBytes)}); ${h.unchanged} unchanged hard-linked from ${h.base}; ${h.removed} removed` : `  send all ${h.sendFiles} files (${mb(h.sendBytes)})`
    );
    if (h.missingShared.length) out.push(`  create in shared/: ${h.missingShared.join(", ")}`);
    out.push(`  prune after the switch: ${h.wouldPrune.length ? h.wouldPrune.join(", ") : "nothing"}`);
    if (h.lock) out.push(`  LOCKED: ${h.lock}`);
  }
  if (plan.shared.length) out.push(`shared links: ${plan.shared.join(", ")}`);
  out.push(`before-switch: ${plan.beforeSwitch.length ? plan.beforeSwitch.join(" ; ") : "none"}`);
  out.push(`pre-switch check: ${plan.fpmSocket ? `FastCGI ${plan.fpmSocket}` : "none (no fpm-socket)"}`);
  out.push(`switch, then reload: ${plan.reloadCommand ?? "none"}`);
  out.push(`post-switch check: ${plan.healthUrl ?? "none (no health-url)"}`);
  out.push(`after-switch: ${plan.afterSwitch.length ? plan.afterSwitch.join(" ; ") : "none"}`);
  const problems = plan.checks.filter((c) => c.severity === "error" || c.severity === "warning");
  for (const c of problems) out.push(`${c.severity}: ${c.host ? `${c.host}: ` : ""}${c.id}: ${c.message}`);
  out.push(plan.refused ? "verdict: the deploy would be REFUSED" : "verdict: the deploy would proceed");
  return out.join("\n") + "\n";
}

export {
  renderSummary,
  renderListing,
  renderPlan
};
