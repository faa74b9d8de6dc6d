/**
 * The GitHub Action's main step: inputs → Settings → engine → outputs and job summary. Saves what the
 * post step needs to undo a deploy this process could not finish (cancelled, killed).
 */
import * as core from './runner.js';
import { parseSettings } from '../config/settings.js';
import { runDeploy, runList, runRollback, runUnlock } from '../engine/index.js';
import { asDeployError } from '../errors.js';
import { renderListing, renderPlan, renderSummary } from '../report/summary.js';
import { actionRunContext, readActionInputs } from './input-helper.js';
import { githubArtifactStore } from './artifact-store.js';
import { ActionReporter } from './reporter.js';

import { CLEANUP_STATE } from './main-state.js';

async function run(): Promise<void> {
  const reporter = new ActionReporter();
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    core.warning(`${sig}: cancelling — undoing what is not live yet; a switch in progress is finished and checked`);
    controller.abort(new Error(`cancelled by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let deployPath = '';
  try {
    const settings = parseSettings(readActionInputs(), actionRunContext(process.env));
    deployPath = settings.deployPath;
    switch (settings.command) {
      case 'deploy':
      case 'rollback': {
        const kept = githubArtifactStore(settings, process.env);
        const engineOpts = {
          signal: controller.signal,
          artifacts: kept.store,
          onLockTaking: (state: unknown) => core.saveState(CLEANUP_STATE, JSON.stringify(state)),
          onReleased: () => core.saveState(CLEANUP_STATE, ''),
        };
        const result =
          settings.command === 'deploy' ? await runDeploy(settings, reporter, engineOpts) : await runRollback(settings, reporter, engineOpts);
        if (result.plan) {
          const text = renderPlan(result.plan, settings.deployPath);
          core.info(text);
          core.setOutput('plan', JSON.stringify(result.plan));
          core.writeSummary(`### php-deploy dry run\n\n\`\`\`\n${text}\`\`\`\n`);
          if (result.plan.refused) core.setFailed('dry run: the deploy would be refused (see the failed checks above)');
          return;
        }
        core.setOutput('deploy-id', result.deployId);
        core.setOutput('previous-deploy-id', result.previousDeployId);
        core.setOutput('release-path', result.releasePath);
        core.setOutput('version', result.version);
        core.setOutput('rolled-back', String(result.rolledBack));
        core.setOutput('duration-ms', String(result.durationMs));
        core.setOutput('hosts-result', JSON.stringify(result.hosts));
        if (result.artifact?.artifact_id !== undefined) core.setOutput('artifact-id', String(result.artifact.artifact_id));
        // Only a deploy keeps an archive; say why this one did not.
        const notice = settings.command === 'deploy' ? kept.notice : undefined;
        if (notice) core.info(notice);
        core.writeSummary(renderSummary(result, settings.deployPath) + (notice ? `\n${notice}\n` : ''));
        return;
      }
      case 'list': {
        const listings = await runList(settings, reporter);
        core.info(renderListing(listings));
        core.setOutput('releases', JSON.stringify(listings));
        core.writeSummary(`### php-deploy releases\n\n\`\`\`\n${renderListing(listings)}\`\`\`\n`);
        return;
      }
      case 'unlock': {
        for (const r of await runUnlock(settings, reporter)) core.info(`${r.host}: ${r.removed ? `removed the lock ${r.removed}` : 'was not locked'}`);
        return;
      }
    }
  } catch (err) {
    const e = asDeployError(err);
    if (e.details.deployId) core.setOutput('deploy-id', e.details.deployId);
    if (e.details.previousDeployId) core.setOutput('previous-deploy-id', e.details.previousDeployId);
    core.setOutput('rolled-back', String(e.details.rolledBack === true));
    if (e.details.hosts) core.setOutput('hosts-result', JSON.stringify(e.details.hosts));
    core.error(e.oneLine(), { title: `php-deploy failed${e.host ? ` on ${e.host}` : ''}${e.phase ? ` (${e.phase})` : ''}` });
    if (process.env.GITHUB_STEP_SUMMARY) {
      core.writeSummary(`### php-deploy failed\n\n${e.oneLine()}\n\nPath \`${deployPath}\`: the release that was live before stays live.\n`);
    }
    // Not core.setFailed: it would add a second, identical error annotation without the title.
    process.exitCode = core.ExitCode.Failure;
  }
}

void run();
