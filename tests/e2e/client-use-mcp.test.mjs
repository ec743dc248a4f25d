/**
 * A real browser MCP client: a page built on `use-mcp` (the React hook the Cloudflare AI
 * playground is built on, from the npm registry), bundled with esbuild and served at a
 * non-loopback origin (`https://app.test:<port>`, mapped to 127.0.0.1 by Chromium's host resolver
 * rules), in headless Chromium. It connects to `/mcp`, runs the whole OAuth flow in a popup
 * (registration, consent, upstream login, the code exchange in the popup), lists the tools, writes
 * an object and lists it with `list_objects` from a button.
 *
 * - With the default settings that origin is refused before any login: the page shows an error
 *   naming the origin and ALLOWED_ORIGINS, no popup opens, and the log line says the same.
 * - With ALLOWED_ORIGINS set to it, the same page does the whole flow.
 * - The playground's own origin (`https://playground.ai.cloudflare.com`, mapped to the same local
 *   page) does the whole flow with the default settings.
 *
 * The page is served over https with a throwaway certificate (openssl, at test time; the browser
 * context ignores certificate errors): use-mcp registers `<page origin>/oauth/callback`, which the
 * server accepts only over https (or on loopback), and https makes the page a secure context
 * (PKCE needs WebCrypto) without `--unsafely-treat-insecure-origin-as-secure`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startStack } from '../support/stack.mjs';
import { startUseMcpPage } from '../support/use-mcp-page.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PLAYGROUND = 'https://playground.ai.cloudflare.com';

let page; // the page server
let defaults; // a stack with the default settings
let admitting; // a stack with ALLOWED_ORIGINS=https://app.test:<port>
let browser;
const defaultLog = [];

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  page = await startUseMcpPage();
  defaults = await startStack({ onLog: (l) => defaultLog.push(l) });
  admitting = await startStack({ vars: { ALLOWED_ORIGINS: page.origin('app.test') } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Test host names for the page; nothing here reaches the Internet.
      `--host-resolver-rules=MAP app.test 127.0.0.1, MAP playground.ai.cloudflare.com:443 127.0.0.1:${page.port}`,
    ],
  });
});

after(async () => {
  await browser?.close();
  await admitting?.close();
  await defaults?.close();
  await page?.close();
});

/** Opens the page at `origin` against `stack` in a fresh context; records what it asks the server. */
async function open(origin, stack) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const requests = [];
  const server = new URL(stack.url).origin;
  context.on('response', (r) => {
    const u = new URL(r.url());
    if (u.origin === server) requests.push({ method: r.request().method(), path: u.pathname, status: r.status(), url: r.url() });
  });
  const p = await context.newPage();
  const popups = [];
  context.on('page', (x) => popups.push(x));
  await p.goto(`${origin}/?server=${encodeURIComponent(stack.mcpUrl)}`);
  assert.equal(await p.evaluate(() => window.isSecureContext && typeof crypto.subtle), 'object', 'the page is a secure context');
  return { context, page: p, requests, popups };
}

/** Approves the client and logs in, in the popup use-mcp opened. */
async function loginInPopup({ page: p, popups }, email) {
  // use-mcp may point the popup at /authorize twice in a row (once from the SDK transport, once
  // from the hook, each with its own PKCE verifier): once the hook waits for the callback, the
  // URL it opened last (kept in localStorage) is the one whose consent counts.
  await p.waitForFunction(() => window.__mcp?.log?.some((l) => l.message.includes('Waiting for callback')), null, { timeout: 20000 });
  const last = await p.evaluate(() => Object.keys(localStorage).filter((k) => k.endsWith('_last_auth_url')).map((k) => localStorage.getItem(k)));
  assert.equal(last.length, 1, JSON.stringify(last));
  for (let i = 0; i < 100 && popups.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(popups.length, 1, 'use-mcp opened one popup');
  const popup = popups[0];
  await popup.waitForURL(last[0]);
  await popup.getByText('use-mcp e2e page').first().waitFor();
  await popup.getByRole('button', { name: 'Approve' }).click();
  await popup.locator('input[name="email"]').fill(email);
  const closed = popup.waitForEvent('close', { timeout: 20000 });
  await popup.getByRole('button', { name: /sign in/i }).click();
  await closed; // the callback page exchanged the code, told the opener and closed itself
}

/** From a connected page: tools listed, an object written, then listed with the button. */
async function useTools(p) {
  await p.locator('#state', { hasText: 'ready' }).waitFor({ timeout: 20000 });
  const tools = await p.locator('#tools li').allTextContents();
  assert.ok(tools.includes('list_objects') && tools.includes('put_object'), tools.join(', '));
  const put = await p.evaluate(() => window.__mcp.callTool('put_object', { key: 'from-the-browser.txt', content: 'hello' }));
  assert.equal(put.isError ?? false, false, JSON.stringify(put));
  await p.locator('#list').click();
  await p.locator('#listed').waitFor();
  assert.deepEqual(await p.locator('#objects li').allTextContents(), ['from-the-browser.txt']);
}

function assertNoRefusal(requests) {
  const seen = requests.map((r) => `${r.method} ${r.path} ${r.status}`);
  assert.deepEqual(requests.filter((r) => r.status === 403), [], seen.join('\n'));
  for (const expected of ['POST /register 201', 'POST /token 200', 'POST /mcp 200', 'GET /mcp 200']) {
    assert.ok(seen.includes(expected), `${expected} in:\n${seen.join('\n')}`);
  }
}

test('an origin nobody admitted is refused before any login, with an error that names it and ALLOWED_ORIGINS', async () => {
  const origin = page.origin('app.test');
  const s = await open(origin, defaults);
  try {
    const error = s.page.locator('#error');
    await error.waitFor({ timeout: 20000 });
    const text = await error.textContent();
    assert.ok(text.includes(`Origin ${origin} is not allowed`), text);
    assert.ok(text.includes(`ALLOWED_ORIGINS=${origin}`), text);
    assert.equal(await s.page.locator('#state').textContent(), 'failed');
    assert.equal(s.popups.length, 0, 'no login popup');
    assert.ok(s.requests.every((r) => r.path === '/mcp'), JSON.stringify(s.requests));
    assert.ok(s.requests.some((r) => r.method === 'POST' && r.status === 403), JSON.stringify(s.requests));
  } finally {
    await s.context.close();
  }
  await new Promise((r) => setTimeout(r, 200)); // let the runtime flush its output
  const refusals = defaultLog.map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))); } catch { return null; } })
    .filter((r) => r?.route === '/mcp' && r.status === 403);
  assert.ok(refusals.length > 0, defaultLog.join('\n'));
  for (const r of refusals) {
    assert.equal(r.level, 'warn');
    assert.equal(r.origin, origin);
    assert.ok(r.error.includes(`ALLOWED_ORIGINS=${origin}`), r.error);
  }
});

test('the same origin, admitted by ALLOWED_ORIGINS: OAuth in a popup, tools/list, list_objects', async () => {
  const s = await open(page.origin('app.test'), admitting);
  try {
    await loginInPopup(s, 'app-user@example.com');
    await useTools(s.page);
    assertNoRefusal(s.requests);
  } finally {
    await s.context.close();
  }
});

test("the playground's own origin works with the default settings", async () => {
  const s = await open(PLAYGROUND, defaults);
  try {
    await loginInPopup(s, 'playground-user@example.com');
    await useTools(s.page);
    assertNoRefusal(s.requests);
  } finally {
    await s.context.close();
  }
});
