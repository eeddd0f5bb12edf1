// Writes schemas/manifest.schema.json from the manifest schema of the newest spec nd-lsp ships
// (../capability_specs/master.json, generated from Navidrome's source), for `contributes.jsonValidation`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const specPath = join(here, '..', '..', 'capability_specs', 'master.json');
const outputPath = join(here, '..', 'schemas', 'manifest.schema.json');

const spec = JSON.parse(await readFile(specPath, 'utf8'));
const schema = spec.manifest_schema;
if (!schema || typeof schema !== 'object' || schema.type !== 'object' || !schema.properties) {
  throw new Error(`${specPath} has no manifest_schema object`);
}
const navidrome = [spec.navidrome?.version ?? 'master', spec.navidrome?.commit?.slice(0, 12)].filter(Boolean).join(' ');
const generated = {
  $comment: `Navidrome plugin manifest (Navidrome ${navidrome}), generated from capability_specs/master.json by vscode-extension/scripts/generate-schema.mjs. Do not edit.`,
  ...schema,
};
await mkdir(dirname(outputPath), { recursive: true });
await writeFile(outputPath, `${JSON.stringify(generated, null, 2)}\n`);
console.log(`wrote ${outputPath}`);
