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
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Starts the stack and builds dist/ once; unit tests never need it.
          globalSetup: ['test/e2e/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
