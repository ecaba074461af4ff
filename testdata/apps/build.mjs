// Builds the one script behind every basiq-mcp view (resources/views/src)
// into resources/views/views.js, which the server embeds in each view's
// page: one file, no CDN, so a view works offline. With --check it builds
// to memory and fails when the committed file differs (CI runs this).
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const views = join(here, '..', '..', 'resources', 'views');
const out = join(views, 'views.js');

const result = await build({
  entryPoints: [join(views, 'src', 'views.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  write: false,
  nodePaths: [join(here, 'node_modules')],
  logLevel: 'warning',
});
let code = result.outputFiles[0].text;
if (/<\/script/i.test(code)) {
  code = code.replace(/<\/script/gi, '<\\/script'); // the script is inlined in the page
}
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== code) {
    console.error(`resources/views/views.js is not what resources/views/src builds to: run "npm run build" in testdata/apps and commit it`);
    process.exit(1);
  }
  console.log(`ok   resources/views/views.js is built from its source (${code.length} bytes)`);
} else {
  writeFileSync(out, code);
  console.log(`wrote resources/views/views.js (${code.length} bytes)`);
}
