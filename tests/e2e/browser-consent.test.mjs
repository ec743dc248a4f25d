/**
 * The consent page in a real browser (Debian's Chromium driven by playwright-core): authorize →
 * consent → upstream login → back to the client, with Approve and with Deny; at phone width; with
 * the keyboard only; loading nothing from outside this machine. Screenshots are saved under
 * `test-results/` as artifacts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startStack } from '../support/stack.mjs';
import { ROOT } from '../support/worker.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-results');

let stack;
let browser;
let client; // a registered public client whose redirect URI is a local page
let receiver; // the client's redirect endpoint
let received = [];

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  receiver = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname === '/callback') received.push(u);
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>Client</title><p id="done">Back at the client.</p>');
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const redirect = `http://127.0.0.1:${receiver.address().port}/callback`;
  const reg = await fetch(`${stack.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Browser Test Client', redirect_uris: [redirect], token_endpoint_auth_method: 'none' }),
  });
  client = { ...(await reg.json()), redirect };
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r()));
  await stack?.close();
});

function authorizeUrl(state) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const u = new URL(`${stack.url}/authorize`);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect,
    code_challenge: challenge, code_challenge_method: 'S256', state, scope: 'mcp',
  }).toString();
  return u.toString();
}

/** A fresh browser context that records every request it makes. */
async function page(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  const hosts = new Set();
  p.on('request', (r) => hosts.add(new URL(r.url()).hostname));
  return { context, page: p, hosts };
}

test('Approve: consent, upstream login, and back to the client with a code, state and iss', async () => {
  const { context, page: p, hosts } = await page();
  try {
    await p.goto(authorizeUrl('approve-1'));
    await p.getByText('Browser Test Client').first().waitFor();
    await p.screenshot({ path: path.join(ARTIFACTS, 'consent-desktop.png'), fullPage: true });
    await p.getByRole('button', { name: 'Approve' }).click();
    await p.locator('input[name="email"]').fill('browser@example.com');
    await p.getByRole('button', { name: /sign in/i }).click();
    await p.locator('#done').waitFor();
    const back = received.at(-1);
    assert.ok(back.searchParams.get('code'));
    assert.equal(back.searchParams.get('state'), 'approve-1');
    assert.equal(back.searchParams.get('iss'), stack.url);
    assert.deepEqual([...hosts].filter((h) => h !== '127.0.0.1'), [], 'nothing loaded from elsewhere');
  } finally {
    await context.close();
  }
});

test('Deny: back to the client with access_denied, no login at all', async () => {
  const { context, page: p } = await page();
  try {
    await p.goto(authorizeUrl('deny-1'));
    await p.getByRole('button', { name: 'Deny' }).click();
    await p.locator('#done').waitFor();
    const back = received.at(-1);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'deny-1');
    assert.equal(back.searchParams.get('code'), null);
  } finally {
    await context.close();
  }
});

test('at phone width the page fits and its buttons are reachable', async () => {
  const { context, page: p } = await page({ width: 360, height: 740 });
  try {
    await p.goto(authorizeUrl('phone-1'));
    await p.getByRole('button', { name: 'Approve' }).waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
    for (const name of ['Approve', 'Deny']) {
      const box = await p.getByRole('button', { name }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${name} inside the viewport`);
      assert.ok(box.height >= 32, `${name} is a comfortable touch target`);
    }
    await p.screenshot({ path: path.join(ARTIFACTS, 'consent-phone.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('the keyboard alone can approve (Tab to the button, Enter)', async () => {
  const { context, page: p } = await page();
  try {
    await p.goto(authorizeUrl('keys-1'));
    await p.getByRole('button', { name: 'Approve' }).waitFor();
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'Approve'; i++) {
      await p.keyboard.press('Tab');
      focused = await p.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    }
    assert.equal(focused, 'Approve', 'Approve is reachable with Tab');
    const outline = await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused button shows a focus ring');
    await p.keyboard.press('Enter');
    await p.locator('input[name="email"]').waitFor();
  } finally {
    await context.close();
  }
});
