// Builds the MCP App views in app/ into Workers static assets: each view is one self-contained
// HTML document (script and style inline, no external loads), as MCP Apps hosts load it into a
// sandboxed iframe under their default CSP. scripts/build runs it; the user's Durable Object reads
// the result through the ASSETS binding (durable/src/object/app_view.rs), so it never enters the wasm.
//
//   node app/build.mjs <assets-dir>     → <assets-dir>/ui/browser.html
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node app/build.mjs <assets-dir>');
  process.exit(2);
}

async function view(name) {
  const src = path.join(HERE, name);
  const bundle = async (entry, extra = {}) =>
    (await build({ entryPoints: [path.join(src, entry)], bundle: true, minify: true, write: false, legalComments: 'none', logLevel: 'error', ...extra }))
      .outputFiles[0].text.trim();
  const script = await bundle('main.js', { format: 'esm', platform: 'browser', target: 'es2022' });
  const style = await bundle('style.css', { loader: { '.css': 'css' } });
  // Inside <script> and <style>, only a closing tag could end the element early.
  const inline = (text, tag) => text.replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`);
  const html = readFileSync(path.join(src, 'index.html'), 'utf8')
    .replace('/*STYLE*/', () => inline(style, 'style'))
    .replace('/*SCRIPT*/', () => inline(script, 'script'));
  const file = path.join(out, 'ui', `${name}.html`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, html);
  console.log(`${path.relative(process.cwd(), file)}: ${html.length} bytes (${gzipSync(html).length} gzip)`);
}

await view('browser');
