/**
 * The action's post step: runs at job end, even after failure or cancellation. If the main step saved
 * a deploy it did not finish (it was killed), undo it on every host: switch back if an unchecked
 * release is live, remove the new release, release the lock.
 */
import * as core from './runner.js';
import { parseSettings } from '../config/settings.js';
import { abortDeploy, type CleanupState } from '../engine/index.js';
import { asDeployError } from '../errors.js';
import { CLEANUP_STATE } from './main-state.js';
import { actionRunContext, readActionInputs } from './input-helper.js';
import { ActionReporter } from './reporter.js';

async function post(): Promise<void> {
  const saved = core.getState(CLEANUP_STATE);
  if (!saved) {
    core.info('php-deploy: nothing to clean up');
    return;
  }
  try {
    const state = JSON.parse(saved) as CleanupState;
    const settings = parseSettings(readActionInputs(), actionRunContext(process.env));
    core.warning(`php-deploy: the deploy ${state.deployId} did not finish; undoing it on ${state.hosts.join(', ')}`);
    await abortDeploy({ ...settings, deployPath: state.deployPath }, state, new ActionReporter(), 'cleaned up by the post step');
  } catch (err) {
    core.warning(`php-deploy cleanup: ${asDeployError(err).oneLine()}`);
  }
}

void post();
