/**
 * The MCP Apps test host (tests/support/app-host/): `host.js` bundled with esbuild from
 * node_modules at test time and served at a loopback origin (`http://127.0.0.1:<port>`, which
 * `/mcp` admits and which is a secure context, as PKCE needs), and the sandbox proxy served at a
 * second origin (`http://localhost:<port>`) with the CSP a host applies to a view that declares no
 * CSP domains (MCP Apps 2026-01-26, "Content Security Policy": no network, inline script and
 * style, `data:` images).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './worker.mjs';
import { freePort } from './stack.mjs';

const SOURCES = path.join(ROOT, 'tests/support/app-host');

/** The spec's default CSP for a view without `_meta.ui.csp`. */
export const DEFAULT_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' data:",
  "connect-src 'none'",
].join('; ');

const HOST_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MCP Apps e2e host</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light; font: 14px/1.4 system-ui, sans-serif; }
  :root[data-theme="dark"] { color-scheme: dark; background: #111113; color: #e4e4e7; }
  body { margin: 0; padding: 12px; }
  main { max-width: 920px; margin: 0 auto; }
  .turn { margin: 0 0 8px; color: #71717a; }
  #frames iframe { display: block; width: 100%; height: 120px; border: 0; }
  #frames iframe.bordered { border: 1px solid #d4d4d8; border-radius: 10px; }
  :root[data-theme="dark"] #frames iframe.bordered { border-color: #3f3f46; }
</style></head>
<body><main><p class="turn">Assistant: here is your bucket.</p><div id="frames"></div></main>
<script type="module" src="/host.js"></script></body></html>`;

/** Bundles the host and starts its two servers; `close()` stops them. */
export async function startAppHost() {
  const bundle = await build({
    entryPoints: [path.join(SOURCES, 'host.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  const hostJs = bundle.outputFiles[0].text;
  const sandboxHtml = readFileSync(path.join(SOURCES, 'sandbox.html'));
  const [hostPort, sandboxPort] = [await freePort(), await freePort()];
  const host = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const file = { '/': ['text/html', HOST_PAGE], '/host.js': ['text/javascript', hostJs] }[p];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  const sandbox = http.createServer((req, res) => {
    if (new URL(req.url, 'http://x').pathname !== '/sandbox.html') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': DEFAULT_CSP, 'cache-control': 'no-store' }).end(sandboxHtml);
  });
  await new Promise((r) => host.listen(hostPort, '127.0.0.1', r));
  await new Promise((r) => sandbox.listen(sandboxPort, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${hostPort}/`,
    sandboxUrl: `http://localhost:${sandboxPort}/sandbox.html`,
    async close() {
      for (const s of [host, sandbox]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
