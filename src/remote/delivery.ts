/**
 * How the remote program reaches the server: once per version, not with every command.
 *
 * The program is content-addressed: ~/.cache/php-deploy/<sha256>.sh on the server. A command first
 * goes out as a small bootstrap that runs the cached copy (as `bash -c '<copy>' php-deploy …`) only
 * after checking its sha256, and exits
 * PROGRAM_MISSING when there is none (or it does not match); the command is then sent again with the
 * whole program inline (`bash -c '<program>'`), and the program, run that way, saves itself there
 * (written aside, checked, renamed into place) for the next commands. A command whose stdin is a
 * stream (the upload) cannot be sent twice: it goes inline unless this connection has already run
 * the cached program.
 */
import { createHash } from 'node:crypto';
import { shellQuote } from './commands.js';
import { REMOTE_SCRIPT } from './script.js';

/** Exit status of the bootstrap when the cached program is missing or does not match its name. */
export const PROGRAM_MISSING = 97;

export const PROGRAM_SHA256 = createHash('sha256').update(REMOTE_SCRIPT, 'utf8').digest('hex');

/** Where the program is cached on the server (relative to the login user's home). */
export const PROGRAM_CACHE = `.cache/php-deploy/${PROGRAM_SHA256}.sh`;

const INLINE_PREFIX = `bash -c ${shellQuote(REMOTE_SCRIPT)} php-deploy `;

// `sha256sum <file` prints "<hex>  -". The checked copy then runs exactly as an inline command does,
// `bash -c '<program>' php-deploy <command> …` (the same process listing, the same way to start its
// detached workers), marked so that it does not write itself to the cache again.
const BOOTSTRAP =
  `f="$HOME/${PROGRAM_CACHE}"; ` +
  `if [ -f "$f" ] && [ "$(sha256sum <"$f" 2>/dev/null)" = "${PROGRAM_SHA256}  -" ]; then PHP_DEPLOY_CACHED=1 exec bash -c "$(<"$f")" php-deploy "$@"; fi; ` +
  `exit ${PROGRAM_MISSING}`;

const CACHED_PREFIX = `bash -c ${shellQuote(BOOTSTRAP)} php-deploy `;

/** The same command through the cached program; undefined when it is not a remote-program command. */
export function viaCache(command: string): string | undefined {
  return command.startsWith(INLINE_PREFIX) ? CACHED_PREFIX + command.slice(INLINE_PREFIX.length) : undefined;
}

/** Bytes a command saves by going through the cache (for reports). */
export const INLINE_BYTES = INLINE_PREFIX.length;
