#!/usr/bin/env node
/**
 * A headless stand-in for "open this URL in the user's browser", for real MCP clients that start
 * their own OAuth login (mcp-remote through the `open` package and `$BROWSER`, the Python SDK through
 * its redirect handler).
 *
 *   node tests/support/headless-open.mjs <authorization-url> [--no-deliver]
 *
 * It walks the authorization URL like a user with our headless `Browser`: the consent page
 * (Approve, or `HEADLESS_OPEN_DECISION`), the upstream login form (as `HEADLESS_OPEN_EMAIL`), and
 * stops at the client's `redirect_uri`. Then, unless `--no-deliver`, it makes the browser's last
 * request: a GET of that redirect (code, state, iss) to the client's loopback callback, so the
 * client's own listener receives it. The final redirect URL is printed on stdout.
 *
 * Clients usually start the opener with stdio ignored, so progress and errors also go to the file
 * named by `HEADLESS_OPEN_LOG` (appended, one line each). Exit 0 on success, 1 on any failure.
 */
import { appendFileSync } from 'node:fs';
import { Browser } from './browser.mjs';
import { walkLogin } from './oauth-client.mjs';

const log = (msg) => {
  const line = `[headless-open ${new Date().toISOString()}] ${msg}\n`;
  process.stderr.write(line);
  if (process.env.HEADLESS_OPEN_LOG) {
    try {
      appendFileSync(process.env.HEADLESS_OPEN_LOG, line);
    } catch {}
  }
};

/** Walks `url` and returns the URL the browser ends on at the client's redirect URI. */
export async function headlessOpen(url, { email = 'alice@example.com', decision = 'approve', deliver = true, browser = new Browser() } = {}) {
  const authorize = new URL(url);
  const redirectUri = authorize.searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error(`no redirect_uri in ${url}`);
  const final = await walkLogin(browser, authorize.toString(), { redirectUrl: redirectUri, user: { email }, decision });
  if (deliver) {
    const r = await fetch(final, { redirect: 'manual', signal: AbortSignal.timeout(15000) });
    log(`delivered to ${final.origin}${final.pathname}: ${r.status}`);
    await r.arrayBuffer().catch(() => {});
  }
  return final;
}

const isMain = import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1] ?? '').href;
if (isMain) {
  const args = process.argv.slice(2);
  const url = args.find((a) => !a.startsWith('--'));
  const timer = setTimeout(() => {
    log('timed out after 30 s');
    process.exit(1);
  }, 30000);
  try {
    if (!url) throw new Error('usage: headless-open.mjs <url> [--no-deliver]');
    log(`opening ${url}`);
    const final = await headlessOpen(url, {
      email: process.env.HEADLESS_OPEN_EMAIL || 'alice@example.com',
      decision: process.env.HEADLESS_OPEN_DECISION || 'approve',
      deliver: !args.includes('--no-deliver'),
    });
    log(`redirected to ${final.origin}${final.pathname} (${[...final.searchParams.keys()].join(', ')})`);
    process.stdout.write(`${final}\n`);
    clearTimeout(timer);
  } catch (e) {
    log(`failed: ${e?.stack ?? e}`);
    process.exit(1);
  }
}
