/**
 * Undo for a deploy whose process died or was cancelled (the action's post step): the same remote
 * `abort` the engine runs itself, from saved state.
 */
import type { Settings } from '../config/settings.js';
import { asDeployError } from '../errors.js';
import { abortCommand } from '../remote/commands.js';
import type { Reporter } from '../report/reporter.js';
import { connectAll, runRemote } from './hosts.js';
import type { CleanupState } from './types.js';

export async function abortDeploy(settings: Settings, state: CleanupState, reporter: Reporter, reason: string): Promise<void> {
  const sessions = await connectAll(settings, reporter);
  try {
    await Promise.all(
      sessions.map(async (session) => {
        try {
          await runRemote(session, abortCommand(settings, state, reason), reporter, { phase: 'abort' });
        } catch (err) {
          reporter.warn(asDeployError(err, session.label, 'abort').oneLine());
        }
      }),
    );
  } finally {
    for (const s of sessions) s.close();
  }
}
