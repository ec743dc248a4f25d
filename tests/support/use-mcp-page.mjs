/**
 * The `use-mcp` test page (tests/support/use-mcp-page/): bundled with esbuild from node_modules
 * into a temporary folder at test time, and served over https (a throwaway self-signed certificate
 * made with openssl; the browser context ignores certificate errors) on a free loopback port. The
 * browser reaches it under any host name mapped to 127.0.0.1 with Chromium's host resolver rules,
 * so the page has a real, non-loopback origin such as `https://app.test:<port>`.
 *
 * Why https: a browser MCP client registers `<its origin>/oauth/callback` as its redirect URI, and
 * the server accepts only https or loopback redirect URIs; the page is then a secure context as
 * well (WebCrypto, which PKCE needs), with no Chromium flag.
 */
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './worker.mjs';
import { freePort } from './stack.mjs';

const SOURCES = path.join(ROOT, 'tests/support/use-mcp-page');

const html = (title, script) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><div id="root"></div><script type="module" src="/${script}"></script></body></html>`;

/** Bundles the page and starts its https server; `close()` stops it and removes the folder. */
export async function startUseMcpPage() {
  const dir = mkdtempSync(path.join(tmpdir(), 'r2mcp-use-mcp-'));
  try {
    await build({
      entryPoints: { app: path.join(SOURCES, 'app.jsx'), callback: path.join(SOURCES, 'callback.js') },
      outdir: dir,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'error',
    });
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=app.test', '-addext', 'subjectAltName=DNS:app.test,DNS:playground.ai.cloudflare.com',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const files = {
    '/': ['text/html', html('use-mcp e2e', 'app.js')],
    '/oauth/callback': ['text/html', html('OAuth callback', 'callback.js')],
    '/app.js': ['text/javascript', readFileSync(path.join(dir, 'app.js'))],
    '/callback.js': ['text/javascript', readFileSync(path.join(dir, 'callback.js'))],
  };
  const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    const file = files[new URL(req.url, 'https://page').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  const port = await pagePort();
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    port,
    /** The page's origin under `host` (mapped to 127.0.0.1 in the browser). */
    origin: (host) => `https://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A free port whose digits hold no 401, 404 or 405: use-mcp classifies a failed connection by
 * looking for those numbers in the error text, which names the refused origin with its port.
 */
async function pagePort() {
  for (;;) {
    const port = await freePort();
    if (!/40[145]/.test(String(port))) return port;
  }
}
