import { createRequire as __phpDeployCreateRequire } from 'node:module';
import { fileURLToPath as __phpDeployFileURLToPath } from 'node:url';
import { dirname as __phpDeployDirname } from 'node:path';
var require = __phpDeployCreateRequire(import.meta.url);
var __filename = __phpDeployFileURLToPath(import.meta.url);
var __dirname = __phpDeployDirname(__filename);
import {
  ActionReporter,
  CLEANUP_STATE,
  actionRunContext,
  getState,
  info,
  readActionInputs,
  warning
} from "./chunk-6YUWD3F5.js";
import {
  abortDeploy
} from "./chunk-AZRMDI6U.js";
import {
  asDeployError,
  parseSettings
} from "./chunk-HYMXMBRH.js";
import "./chunk-CPYSVADA.js";

// src/action/post.ts
async function post() {
  const saved = getState(CLEANUP_STATE);
  if (!saved) {
    info("php-deploy: nothing to clean up");
    return;
  }
  try {
    const state = JSON.parse(saved);
    const settings = parseSettings(readActionInputs(), actionRunContext(process.env));
    warning(`php-deploy: the deploy ${state.deployId} did not finish; undoing it on ${state.hosts.join(", ")}`);
    await abortDeploy({ ...settings, deployPath: state.deployPath }, state, new ActionReporter(), "cleaned up by the post step");
  } catch (err) {
    warning(`php-deploy cleanup: ${asDeployError(err).oneLine()}`);
  }
}
void post();
