import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/config/settings.js';
import { sharedTypeChecks } from '../../src/engine/preflight.js';

describe('sharedTypeChecks: a shared path is the same type on the server, in the source and as declared', () => {
  const source = mkdtempSync(join(tmpdir(), 'php-deploy-shared-type-'));
  mkdirSync(join(source, 'storage'));
  writeFileSync(join(source, 'cache'), 'a file');
  writeFileSync(join(source, '.env'), 'x');
  const settings = (shared: string[]): Settings => ({ source, shared }) as unknown as Settings;
  const check = (shared: string[], server: Record<string, string>) =>
    sharedTypeChecks(settings(shared), { host: 'h', sharedTypes: new Map(Object.entries(server)) }).map((c) => c.message);

  it('agrees: nothing to say (also when the path is missing on the server or in the source)', () => {
    expect(check(['storage', '.env', 'cache', 'public/uploads/'], { storage: 'd', '.env': 'f', cache: 'f' })).toEqual([]);
  });

  it('a file in the source where shared/ has a directory', () => {
    expect(check(['cache'], { cache: 'd' })).toEqual([
      'cache is a directory in shared/ on the server but a file in the source; make them the same (move shared/cache aside on the server, or fix the source)',
    ]);
  });

  it('declared a directory (trailing /) but a file on the server or in the source; something odd on the server', () => {
    expect(check(['.env/'], { '.env': 'f' })[0]).toMatch(/declared a directory .* shared\/\.env on the server is a file/);
    expect(check(['cache/'], {})[0]).toMatch(/declared a directory .* cache in the source is a file/);
    expect(check(['storage'], { storage: 'o' })[0]).toMatch(/shared\/storage on the server is neither a file nor a directory/);
  });
});
