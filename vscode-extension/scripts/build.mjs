// Bundles src/extension.ts and its runtime dependencies (vscode-languageclient) into dist/extension.js.
import { mkdir, writeFile } from 'node:fs/promises';

import * as esbuild from 'esbuild';

const production = !process.argv.includes('--dev');

const result = await esbuild.build({
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Provided by VS Code at run time.
  external: ['vscode'],
  minify: production,
  sourcemap: production ? false : 'inline',
  logLevel: 'warning',
  metafile: true,
});
// Which files went into the bundle: the tests check that no devDependency did.
await mkdir('out', { recursive: true });
await writeFile('out/bundle-meta.json', JSON.stringify(result.metafile, null, 2));
