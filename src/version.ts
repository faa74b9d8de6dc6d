/**
 * The tool's version. The bundle defines __PHP_DEPLOY_VERSION__ from package.json (scripts/bundle.mjs);
 * running from source (tests) it is read from package.json.
 */
import { readFileSync } from 'node:fs';

declare const __PHP_DEPLOY_VERSION__: string | undefined;

function fromPackageJson(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export const VERSION: string = typeof __PHP_DEPLOY_VERSION__ === 'string' ? __PHP_DEPLOY_VERSION__ : fromPackageJson();
