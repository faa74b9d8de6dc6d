export { createExcludeFilter, DEPLOYIGNORE, type ExcludeFilter } from './excludes.js';
export {
  compareBytes,
  diffManifests,
  formatManifest,
  MANIFEST_HEADER,
  MANIFEST_NAME,
  parseManifest,
  type ManifestDiff,
  type ManifestEntry,
} from './manifest.js';
export { createPackStream, DEFAULT_LEVEL, type PackOptions, type PackProgress } from './pack.js';
export { scanTree, type ScanOptions, type ScanResult } from './scan.js';
