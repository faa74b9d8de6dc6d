/**
 * Keeping the lease of a locked host alive for as long as the deploy holds it, whatever the engine
 * waits for (its turn under max-parallel, the upload, the other hosts, the next batch).
 *
 * The renewing happens on the server: right after `begin`, one more command (`hold`) runs on its own
 * channel of the host's connection and renews the lease every ttl/3 for as long as that channel is
 * open and the lock is still this deploy's. It stops by itself when its owner is gone: the engine
 * ends the channel when it is done with the host, and a dead engine or a lost connection closes it
 * (sshd gives the command EOF). A renewal costs no traffic, so neither a slow link nor an upload
 * filling the connection can delay it. (Measured on the stack: a `renew` command sent over the same
 * connection during an upload throttled to 200 kB/s took 15 s — it waited behind the upload's bytes —
 * against ~0.1 s idle; each one also carries the 55 kB remote script.) The detached activation keeps
 * its own renewer on the server, so the lease outlives a client that goes away mid-activation.
 *
 * When the hold finds the lock taken by another deploy (an expired lease taken over, `unlock`), it
 * says who took it and when, and the engine passes that on; the activation checks the lock itself
 * before its switch.
 */
import { PassThrough } from 'node:stream';
import { newNonce, RemoteOutput } from '../remote/protocol.js';
import type { Reporter } from '../report/reporter.js';
import type { RemoteSession } from '../ssh/session.js';

export interface LeaseHold {
  /** Set when the server reported that the lock is no longer this deploy's (who took it, when). */
  readonly lost?: string;
  /** Ends the hold (closes its channel) and waits briefly for it to exit. Never throws. */
  stop(): Promise<void>;
}

/** How long stop() waits for the remote hold to exit after its stdin is closed. */
const STOP_WAIT_MS = 3000;

export function holdLease(session: RemoteSession, command: string, reporter: Reporter): LeaseHold {
  const stdin = new PassThrough();
  // Its own nonce, like every remote command (runRemote): only the program's lines are protocol.
  const nonce = newNonce();
  const out = new RemoteOutput(() => {}, undefined, nonce);
  let lost: string | undefined;
  let stopped = false;
  const running = session
    .exec(`${command} nonce=${nonce}`, {
      stdin,
      onStdoutLine: (line) => {
        out.push(line);
        if (out.failure && lost === undefined) {
          lost = out.failure.message;
          if (!stopped) reporter.warn(`${session.label}: ${lost}`, { host: session.label, phase: out.failure.phase || 'lock' });
        }
      },
    })
    .then((r) => {
      if (!stopped && r.code !== 0 && lost === undefined) {
        reporter.warn(`${session.label}: the lease renewal stopped (exit ${r.code ?? r.signal}); the lock expires unless the server renews it`, {
          host: session.label,
          phase: 'lock',
        });
      }
    })
    .catch(() => {
      // The connection went away (the command that was running says so): the server stops renewing
      // as well, as it should.
    });
  return {
    get lost(): string | undefined {
      return lost;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      stdin.end();
      let t: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((r) => (t = setTimeout(r, STOP_WAIT_MS)))]);
      clearTimeout(t);
    },
  };
}
