import { defineConfig } from 'tsup';

// Three entries: the executable (with its shebang), the programmatic API (with type declarations),
// and the Piscina worker, which dist/bin.js and dist/index.js find beside them as ./worker.js.
// Dependencies (@optkit/*, commander, piscina, vega, ...) stay external: they are imported at run time.
const shared = {
  format: ['esm'] as const,
  target: 'node20',
  platform: 'node' as const,
  sourcemap: true,
  splitting: false,
  external: [/^@optkit\//],
};

export default defineConfig([
  { ...shared, entry: { bin: 'src/bin.ts' }, banner: { js: '#!/usr/bin/env node' } },
  { ...shared, entry: { index: 'src/index.ts', worker: 'src/worker.ts' }, dts: { entry: { index: 'src/index.ts' } } },
]);
