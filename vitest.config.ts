import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The remote bash script and other text assets are imported as strings, exactly as the
// esbuild bundle does with its `text` loader (scripts/bundle.mjs).
const textAssets = {
  name: 'text-assets',
  enforce: 'pre' as const,
  load(id: string) {
    if (id.endsWith('.sh') || id.endsWith('.php')) {
      return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    }
    return null;
  },
};

export default defineConfig({
  plugins: [textAssets],
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // End-to-end files share one server stack; run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
