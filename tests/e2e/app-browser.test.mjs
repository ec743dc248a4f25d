/**
 * The object browser app (MCP Apps, io.modelcontextprotocol/ui) with a real host: a page in
 * headless Chromium built on the official SDK client (@modelcontextprotocol/sdk, logged in over
 * OAuth from the page) and the official host bridge (AppBridge, @modelcontextprotocol/ext-apps)
 * renders browse_objects' ui:// view in a sandbox proxy iframe on another origin, under the
 * spec's default CSP, as a web host does (tests/support/app-host/). The test drives the view like
 * a user: folders and pages, text and image previews, sort and find, upload by picker and by drag
 * and drop, rename, delete with its confirmation, recent changes; a second session of the same
 * user sees the result; the keyboard alone works; light, dark and phone-width screenshots go to
 * test-results/app-browser/ (R2MCP_UPDATE_DOCS=1 also refreshes the README's, docs/app-browser.png).
 *
 * Clients without apps: the same tool answers a readable text listing, and both protocol eras
 * list and serve the app identically.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startStack } from '../support/stack.mjs';
import { startAppHost } from '../support/app-host.mjs';
import { login, walkLogin } from '../support/oauth-client.mjs';
import { Browser } from '../support/browser.mjs';
import { pool } from '../support/mcp-tools.mjs';
import { post, rpc, modernRpc, rawSession, MODERN, LATEST } from '../support/mcp.mjs';
import { ROOT } from '../support/worker.mjs';
import { devToken } from '../support/tokens.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'test-results/app-browser');
const USER = 'browser-user@example.com';
const APP_TOOLS = ['ui_get_object', 'ui_put_object', 'ui_copy_object', 'ui_move_object', 'ui_delete_object', 'ui_changes'];

let stack;
let host;
let browser;
let seeder; // a Node SDK client of the same user: seeds objects, checks the server's side
let seederToken;
let first; // { context, page, view }: the first host session
const pageErrors = [];

/** A small PNG (RGB, no filter) drawn by `pixel(x, y) → [r, g, b]`. */
function png(w, h, pixel) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (1 + 3 * w) + 1 + 3 * x);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const PNG = png(160, 96, (x, y) => {
  const ring = Math.hypot(x - 80, y - 48) % 24 < 12;
  return ring ? [243, 128 + (y >> 1), 32 + (x >> 2)] : [30 + (x >> 1), 60 + y, 150 + (x >> 2)];
});
const README = '# Read me\n\nThe object browser shows this text.\n';
const MANY = 120;
const manyKey = (i) => `many/item-${String(i).padStart(3, '0')}.txt`;

async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.notEqual(r.isError, true, `${name}: ${r.content?.[0]?.text}`);
  return r;
}

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ vars: { READONLY_GROUP: 'readers' } });
  host = await startAppHost();
  const auth = await login(stack.mcpUrl, { user: { email: USER }, clientName: 'seeding client' });
  seederToken = auth.tokens().access_token;
  seeder = new Client({ name: 'seeding client', version: '1.0.0' });
  await seeder.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: auth }));
  // Apart in time, so sorting by time has no ties.
  const put = async (key, args) => {
    await new Promise((r) => setTimeout(r, 5));
    return call(seeder, 'put_object', { key, ...args });
  };
  await put('docs/readme.md', { content: README, content_type: 'text/markdown' });
  await put('docs/notes.txt', { content: 'short' });
  await put('docs/report.csv', { content: 'month,bytes\n' + Array.from({ length: 120 }, (_, i) => `${i},${i * 1000}`).join('\n'), content_type: 'text/csv' });
  await put('docs/archive.bin', { content_base64: Buffer.alloc(3000, 7).toString('base64') });
  await put('images/chart.png', { content_base64: PNG.toString('base64'), content_type: 'image/png' });
  await put('images/logo.svg', { content: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#f38020"/></svg>', content_type: 'image/svg+xml' });
  await put('welcome.txt', { content: 'Hello from R2.' });
  await put('logs/big.log', { content: 'log line\n'.repeat(10_000) });
  await pool([...Array(MANY).keys()], 4, (i) => put(manyKey(i), { content: `item ${i}` }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});

after(async () => {
  await browser?.close();
  await seeder?.close().catch(() => {});
  await host?.close();
  await stack?.close();
});

/** A host page in its own browser context, logged in as `email` (OAuth from the page). */
async function openHost({ email = USER, groups = '', viewport = { width: 1000, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // (The one 401 is the OAuth flow's first step: /mcp without a token, then discovery.)
    if ((m.type() === 'error' && !/status of 401/.test(m.text())) || /Content Security Policy/i.test(m.text())) pageErrors.push(`${m.type()}: ${m.text()}`);
  });
  await page.exposeFunction('__walkLogin', async (url, who) => {
    const redirectUrl = `${host.url}callback`;
    return (await walkLogin(new Browser(), url, { redirectUrl, user: { email: who, groups } })).href;
  });
  await page.goto(host.url);
  await page.waitForFunction(() => window.__host);
  const tools = await page.evaluate(({ mcpUrl, email }) => window.__host.connect({ mcpUrl, email }), { mcpUrl: stack.mcpUrl, email });
  return { context, page, tools };
}

/** Renders browse_objects(args) in the host and waits for the view to show its page. */
async function render(h, args = {}, hostContext = {}) {
  const ctx = {
    theme: 'light',
    locale: 'en-GB',
    timeZone: 'UTC',
    containerDimensions: { maxHeight: 640 },
    styles: { variables: { '--font-sans': 'system-ui, sans-serif', '--color-ring-primary': 'light-dark(#f38020, #fbad41)' } },
    ...hostContext,
  };
  await h.page.evaluate(({ args, sandboxUrl, ctx }) => window.__host.render({ args, sandboxUrl, hostContext: ctx }), { args, sandboxUrl: host.sandboxUrl, ctx });
  const frame = await viewFrame(h.page);
  await frame.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  h.view = frame;
  return frame;
}

/** The view's frame: the inner iframe of the sandbox proxy (its document was written by the proxy). */
async function viewFrame(page) {
  for (let i = 0; i < 200; i++) {
    const proxy = page.frames().find((f) => f.url().startsWith(host.sandboxUrl));
    const inner = proxy?.childFrames()[0];
    if (inner && (await inner.evaluate(() => !!document.getElementById('app')).catch(() => false))) return inner;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the view did not load');
}

/**
 * Waits until the host has sized the frame to the view's height, as it reported it. Until then a
 * control can move under a click: the view grew (a confirmation opened), the browser scrolled the
 * clipped view to reach the control, then the host's resize put it back.
 */
async function settled(view) {
  const page = view.page();
  for (let i = 0; i < 200; i++) {
    const want = await view.evaluate(() => {
      const d = document.documentElement;
      const keep = d.style.height;
      d.style.height = 'max-content';
      const v = Math.ceil(d.getBoundingClientRect().height);
      d.style.height = keep;
      return v;
    });
    const have = await page.evaluate(() => document.querySelector('#frames iframe')?.clientHeight);
    if (Math.abs(want - have) <= 1) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the frame never settled to the view height');
}

/** Clicks a control of the view once the frame has settled. */
async function click(view, selector) {
  await settled(view);
  await view.click(selector);
}

/** Selects an object and waits for its preview to settle (so nothing moves under the next click). */
async function selectObject(view, key) {
  await click(view, `#rows button[data-key="${key}"]`);
  await view.waitForFunction((k) => {
    const p = document.getElementById('d-preview');
    return document.querySelector('tr.selected')?.dataset.key === k && p.dataset.kind && !/Loading preview/.test(p.textContent);
  }, key);
}

const rows = (view) => view.$$eval('#rows button.name', (bs) => bs.map((b) => b.textContent));
const objectRows = (view) => view.$$eval('#rows button[data-kind="object"]', (bs) => bs.map((b) => b.dataset.key));
const status = (view) => view.textContent('#status');
const events = (page, type) => page.evaluate((t) => window.__events.filter((e) => e.type === t).map((e) => e.data), type);

async function waitForRows(view, predicate, what) {
  for (let i = 0; i < 200; i++) {
    const r = await rows(view);
    if (predicate(r)) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`rows never ${what}: ${JSON.stringify(await rows(view))}; status: ${await status(view)}`);
}

test('the host sees browse_objects with its ui:// view, the app-only tools, and one self-contained page', async () => {
  first = await openHost();
  const byName = Object.fromEntries(first.tools.map((t) => [t.name, t]));
  assert.equal(byName.browse_objects._meta.ui.resourceUri, 'ui://r2/browser');
  assert.equal(byName.browse_objects._meta['ui/resourceUri'], 'ui://r2/browser');
  for (const name of APP_TOOLS) assert.deepEqual(byName[name]._meta.ui.visibility, ['app'], name);
  assert.equal(byName.put_object._meta, undefined, 'model tools are plain tools');
  const [connected] = await events(first.page, 'connected');
  assert.deepEqual(connected.capabilities.extensions['io.modelcontextprotocol/ui'], { mimeTypes: ['text/html;profile=mcp-app'] });

  const view = await render(first);
  const [resource] = await events(first.page, 'resource');
  assert.equal(resource.uri, 'ui://r2/browser');
  assert.deepEqual(resource.ui, { prefersBorder: true }, 'no CSP domains: the default CSP applies');
  assert.ok(resource.bytes > 10_000 && resource.bytes < 1_000_000, `${resource.bytes} bytes`);
  assert.deepEqual(await rows(view), ['docs/', 'images/', 'logs/', 'many/', 'welcome.txt']);
  assert.deepEqual(await view.$$eval('#crumbs li', (l) => l.map((x) => x.textContent)), ['All objects']);
  const [init] = await events(first.page, 'initialized');
  assert.equal(init.name, 'r2-object-browser');
});

test('a folder opens from the list; a large one pages with Next and Previous; breadcrumbs go back up', async () => {
  const { view } = first;
  await click(view, '#rows button[data-prefix="many/"]');
  let r = await waitForRows(view, (x) => x[0] === 'item-000.txt', 'showed many/');
  assert.equal(r.length, 50);
  assert.deepEqual(await view.$$eval('#crumbs li', (l) => l.map((x) => x.textContent)), ['All objects', 'many']);
  assert.equal(await view.isVisible('#pager'), true);
  assert.equal(await view.isDisabled('#prev'), true);
  await click(view, '#next');
  r = await waitForRows(view, (x) => x[0] === 'item-050.txt', 'turned to page 2');
  assert.equal(r.at(-1), 'item-099.txt');
  await click(view, '#next');
  r = await waitForRows(view, (x) => x[0] === 'item-100.txt', 'turned to page 3');
  assert.equal(r.length, MANY - 100);
  assert.equal(await view.isDisabled('#next'), true);
  assert.equal(await view.textContent('#page-info'), 'Page 3');
  await click(view, '#prev');
  await waitForRows(view, (x) => x[0] === 'item-050.txt', 'went back to page 2');
  // The frame never grows past the host's maxHeight: the list scrolls inside.
  const sizes = await events(first.page, 'size-changed');
  assert.ok(sizes.length > 0 && sizes.every((s) => s.height <= 640), JSON.stringify(sizes));
  await click(view, '#crumbs button[data-prefix=""]');
  await waitForRows(view, (x) => x[0] === 'docs/', 'went back to the top');
});

test('selecting an object previews text as text and images inline; other types show their metadata', async () => {
  const { view } = first;
  await click(view, '#rows button[data-prefix="docs/"]');
  await waitForRows(view, (x) => x.includes('readme.md'), 'showed docs/');
  await click(view, '#rows button[data-key="docs/readme.md"]');
  await view.waitForSelector('#d-preview pre');
  assert.equal(await view.textContent('#d-preview'), README, 'the whole text, and nothing else');
  assert.equal(await view.textContent('#d-name'), 'readme.md');
  assert.match(await view.textContent('#d-meta'), /Keydocs\/readme\.md.*Typetext\/markdown/);

  await click(view, '#rows button[data-key="docs/archive.bin"]');
  await view.waitForFunction(() => document.querySelector('#d-preview').dataset.kind === 'none');
  assert.match(await view.textContent('#d-preview'), /No preview/);
  assert.match(await view.textContent('#d-meta'), /2\.9 KiB \(3,000 bytes\).*application\/octet-stream/);

  await click(view, '#crumbs button[data-prefix=""]');
  await waitForRows(view, (x) => x[0] === 'docs/', 'went up');
  await click(view, '#rows button[data-prefix="images/"]');
  await waitForRows(view, (x) => x.includes('chart.png'), 'showed images/');
  await click(view, '#rows button[data-key="images/chart.png"]');
  const img = await view.waitForSelector('#d-preview img');
  await view.waitForFunction(() => document.querySelector('#d-preview img')?.naturalWidth > 0);
  assert.deepEqual(await img.evaluate((i) => [i.naturalWidth, i.naturalHeight, i.src.slice(0, 22)]), [160, 96, 'data:image/png;base64,']);
  await click(view, '#rows button[data-key="images/logo.svg"]');
  await view.waitForFunction(() => document.querySelector('#d-preview img')?.src.startsWith('data:image/svg+xml'));
  await view.waitForFunction(() => document.querySelector('#d-preview img').naturalWidth === 40);
  // A long text shows its beginning, and says so.
  await click(view, '#crumbs button[data-prefix=""]');
  await waitForRows(view, (x) => x[0] === 'docs/', 'went up');
  await click(view, '#rows button[data-prefix="logs/"]');
  await waitForRows(view, (x) => x.includes('big.log'), 'showed logs/');
  await click(view, '#rows button[data-key="logs/big.log"]');
  await view.waitForSelector('#d-preview pre');
  assert.equal((await view.textContent('#d-preview pre')).length, 64 * 1024);
  assert.equal(await view.textContent('#d-preview p'), 'The first 64.0 KiB of 87.9 KiB.');
  const called = (await events(first.page, 'app-tools-call')).map((c) => c.name);
  assert.ok(called.includes('ui_get_object') && !called.includes('get_object'), called.join(','));
});

test('sort by size or time and find by name prefix', async () => {
  const { view } = first;
  await click(view, '#crumbs button[data-prefix=""]');
  await waitForRows(view, (x) => x[0] === 'docs/', 'went up');
  await click(view, '#rows button[data-prefix="docs/"]');
  await waitForRows(view, (x) => x.includes('readme.md'), 'showed docs/');
  assert.deepEqual(await objectRows(view), ['docs/archive.bin', 'docs/notes.txt', 'docs/readme.md', 'docs/report.csv']);
  await view.selectOption('#sort', 'size');
  assert.deepEqual(await objectRows(view), ['docs/notes.txt', 'docs/readme.md', 'docs/report.csv', 'docs/archive.bin']);
  await click(view, '#dir');
  assert.deepEqual(await objectRows(view), ['docs/archive.bin', 'docs/report.csv', 'docs/readme.md', 'docs/notes.txt']);
  await view.selectOption('#sort', 'time');
  assert.deepEqual(await objectRows(view), ['docs/archive.bin', 'docs/report.csv', 'docs/notes.txt', 'docs/readme.md'], 'newest first');
  await click(view, '#dir');
  await view.selectOption('#sort', 'name');
  await view.fill('#find', 're');
  await waitForRows(view, (x) => x.length === 2, 'narrowed to "re"');
  assert.deepEqual(await objectRows(view), ['docs/readme.md', 'docs/report.csv']);
  await view.fill('#find', 'zzz');
  await waitForRows(view, (x) => x.length === 0, 'emptied');
  assert.match(await status(view), /No names start with “zzz”/);
  await view.fill('#find', '');
  await waitForRows(view, (x) => x.length === 4, 'came back');
});

test('upload by picker and by drag and drop, rename, delete after its confirmation, and recent changes show them', async () => {
  const { view, page } = first;
  // The picker (an <input type=file>), into the folder shown.
  await view.setInputFiles('#file', { name: 'upload.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded from the picker') });
  await waitForRows(view, (x) => x.includes('upload.txt'), 'showed the upload');
  await view.waitForSelector('#d-preview pre');
  assert.equal(await view.textContent('#d-preview pre'), 'uploaded from the picker');
  // Drag and drop: a drop event carrying a file, as the browser sends it.
  const data = await view.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
    return dt;
  });
  await view.dispatchEvent('#listing', 'dragenter', { dataTransfer: data });
  assert.equal(await view.evaluate(() => document.body.hasAttribute('data-dropping')), true, 'the drop zone shows');
  assert.match(await view.textContent('#drop'), /Drop files to upload to docs\//);
  await view.dispatchEvent('#listing', 'drop', { dataTransfer: data });
  await waitForRows(view, (x) => x.includes('dropped.txt'), 'showed the dropped file');
  // A second upload of an existing name asks before replacing.
  await view.setInputFiles('#file', { name: 'upload.txt', mimeType: 'text/plain', buffer: Buffer.from('second version') });
  await view.waitForSelector('#replace:not([hidden])');
  assert.match(await view.textContent('#replace-text'), /docs\/upload\.txt already exists/);
  await click(view, '#replace-yes');
  await view.waitForFunction(() => document.querySelector('#d-preview pre')?.textContent === 'second version');

  // Rename (move) upload.txt.
  await selectObject(view, 'docs/upload.txt');
  await click(view, '#a-move');
  assert.equal(await view.inputValue('#d-dest'), 'docs/upload.txt');
  await view.fill('#d-dest', 'docs/renamed.txt');
  await click(view, '#d-submit');
  await waitForRows(view, (x) => x.includes('renamed.txt') && !x.includes('upload.txt'), 'showed the rename');
  assert.equal(await view.textContent('#d-name'), 'renamed.txt');

  // Delete with its confirmation step: Cancel keeps it, Delete removes it.
  await selectObject(view, 'docs/dropped.txt');
  await click(view, '#a-delete');
  assert.match(await view.textContent('#d-confirm-text'), /Delete docs\/dropped\.txt\? This cannot be undone\./);
  assert.equal(await view.evaluate(() => document.activeElement.id), 'd-confirm-no', 'focus starts on Cancel');
  await click(view, '#d-confirm-no');
  assert.ok((await rows(view)).includes('dropped.txt'));
  await click(view, '#a-delete');
  await click(view, '#d-confirm-yes');
  await waitForRows(view, (x) => !x.includes('dropped.txt'), 'removed the deleted file');
  assert.match(await status(view), /Deleted docs\/dropped\.txt/);

  // Recent changes, from the audit trail.
  await click(view, '#changes-btn');
  await view.waitForFunction(() => document.querySelectorAll('#change-list li').length >= 4);
  const lines = await view.$$eval('#change-list li .what', (l) => l.map((x) => x.textContent));
  assert.deepEqual(lines.slice(0, 5), [
    'deleted docs/dropped.txt',
    'moved docs/upload.txt → docs/renamed.txt',
    'replaced docs/upload.txt',
    'created docs/dropped.txt',
    'created docs/upload.txt',
  ]);

  // Every action went through the app-only tools, each allowed by the host's visibility check.
  const called = await events(page, 'app-tools-call');
  assert.ok(called.every((c) => c.allowed && (c.name === 'browse_objects' || APP_TOOLS.includes(c.name))), JSON.stringify(called));
  for (const name of ['ui_put_object', 'ui_move_object', 'ui_delete_object', 'ui_changes']) assert.ok(called.some((c) => c.name === name), name);
  const context = (await events(page, 'model-context')).at(-1);
  assert.match(context.content[0].text, /Last action by the user: deleted docs\/dropped\.txt/);

  // The server's own audit trail says the same, with the host as the client.
  const trail = (await call(seeder, 'recent_changes', { limit: 5 })).structuredContent.changes;
  assert.deepEqual(trail.map((c) => [c.operation, c.keys.join(' → ')]), [
    ['delete', 'docs/dropped.txt'],
    ['move', 'docs/upload.txt → docs/renamed.txt'],
    ['put', 'docs/upload.txt'],
    ['put', 'docs/dropped.txt'],
    ['put', 'docs/upload.txt'],
  ]);
  assert.ok(trail.every((c) => c.client === 'r2-e2e-host'), JSON.stringify(trail));
  // The delete and the move carried the etag the user saw.
  const renamed = (await call(seeder, 'head_object', { key: 'docs/renamed.txt' })).structuredContent;
  assert.equal(renamed.size, 'second version'.length);
});

test('a second session of the same user sees the changes, and the first sees the second one\'s', async () => {
  const second = await openHost();
  try {
    const view = await render(second, { prefix: 'docs/' });
    const r = await rows(view);
    assert.ok(r.includes('renamed.txt'), r.join(','));
    assert.ok(!r.includes('upload.txt') && !r.includes('dropped.txt'), r.join(','));
    // The second session copies; the first one's refresh shows the copy.
    await selectObject(view, 'docs/notes.txt');
    await click(view, '#a-copy');
    assert.equal(await view.inputValue('#d-dest'), 'docs/notes copy.txt');
    await click(view, '#d-submit');
    await waitForRows(view, (x) => x.includes('notes copy.txt'), 'showed the copy');
  } finally {
    await second.context.close();
  }
  await click(first.view, '#refresh-btn');
  await waitForRows(first.view, (x) => x.includes('notes copy.txt'), "showed the other session's copy");
  await first.view.waitForFunction(() => [...document.querySelectorAll('#change-list li .what')].some((l) => l.textContent === 'copied docs/notes.txt → docs/notes copy.txt'));
});

test('the keyboard alone browses, previews, and asks before deleting', async () => {
  const { view } = first;
  await click(view, '#crumbs button[data-prefix=""]');
  await waitForRows(view, (x) => x[0] === 'docs/', 'went up');
  await view.focus('#rows button[data-prefix="docs/"]');
  const focused = () => view.evaluate(() => document.activeElement?.dataset.key ?? document.activeElement?.dataset.prefix ?? document.activeElement?.id);
  await view.press('#rows button[data-prefix="docs/"]', 'ArrowDown');
  assert.equal(await focused(), 'images/');
  await view.page().keyboard.press('ArrowUp');
  await view.page().keyboard.press('Enter');
  await waitForRows(view, (x) => x.includes('readme.md'), 'opened docs/ with Enter');
  assert.equal(await focused(), 'docs/archive.bin', 'focus lands on the first entry');
  await view.page().keyboard.press('End');
  assert.equal(await focused(), 'docs/report.csv');
  await view.page().keyboard.press('ArrowUp');
  await view.page().keyboard.press('ArrowUp');
  await view.page().keyboard.press('Enter');
  await view.waitForSelector('#d-preview pre');
  assert.equal(await focused(), 'd-name', 'focus moves to the preview');
  await view.page().keyboard.press('Delete');
  assert.equal(await view.isVisible('#d-confirm'), true);
  assert.equal(await focused(), 'd-confirm-no');
  await view.page().keyboard.press('Escape');
  assert.equal(await view.isVisible('#d-confirm'), false);
  await view.page().keyboard.press('Escape');
  assert.equal(await view.isVisible('#detail'), false);
  assert.equal(await focused(), 'docs/readme.md', 'focus returns to the row');
  await view.page().keyboard.press('/');
  assert.equal(await focused(), 'find');
  await view.page().keyboard.type('read');
  await waitForRows(view, (x) => x.length === 1, 'found with the keyboard');
  await view.page().keyboard.press('ArrowDown');
  assert.equal(await focused(), 'docs/readme.md');
  await view.page().keyboard.press('Backspace');
  await waitForRows(view, (x) => x[0] === 'docs/', 'went up with Backspace');
});

test('the view follows the host: light and dark themes, its style variables, phone width (screenshots)', async () => {
  const { page } = first;
  const view = await render(first, { prefix: 'images/' });
  await click(view, '#rows button[data-key="images/chart.png"]');
  await view.waitForFunction(() => document.querySelector('#d-preview img')?.naturalWidth > 0);
  const look = () => view.evaluate(() => ({ theme: document.documentElement.dataset.theme, bg: getComputedStyle(document.body).backgroundColor, ring: getComputedStyle(document.documentElement).getPropertyValue('--color-ring-primary') }));
  const light = await look();
  assert.equal(light.theme, 'light');
  assert.equal(light.bg, 'rgb(255, 255, 255)');
  assert.equal(light.ring, 'light-dark(#f38020, #fbad41)', "the host's style variables are applied");
  await page.waitForTimeout(300); // the last size change
  await (await page.$('#frames iframe')).screenshot({ path: path.join(SHOTS, 'light.png') });
  if (process.env.R2MCP_UPDATE_DOCS === '1') copyFileSync(path.join(SHOTS, 'light.png'), path.join(ROOT, 'docs/app-browser.png'));

  await page.evaluate(() => window.__host.setContext({ theme: 'dark' }));
  await view.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  const dark = await look();
  assert.equal(dark.bg, 'rgb(29, 29, 31)');
  await page.waitForTimeout(200);
  await (await page.$('#frames iframe')).screenshot({ path: path.join(SHOTS, 'dark.png') });

  const phone = await openHost({ viewport: { width: 390, height: 844 } });
  try {
    const v = await render(phone, { prefix: 'docs/' }, { platform: 'mobile', containerDimensions: { maxHeight: 720 }, deviceCapabilities: { touch: true, hover: false } });
    await click(v, '#rows button[data-key="docs/readme.md"]');
    await v.waitForSelector('#d-preview pre');
    const layout = await v.evaluate(() => {
      const list = document.getElementById('listing').getBoundingClientRect();
      const detail = document.getElementById('detail').getBoundingClientRect();
      return { width: innerWidth, stacked: detail.top >= list.bottom - 1, typeHidden: getComputedStyle(document.querySelector('th.type')).display === 'none', overflow: document.documentElement.scrollWidth > innerWidth };
    });
    assert.ok(layout.width <= 390, JSON.stringify(layout));
    assert.equal(layout.stacked, true, 'the preview goes under the list');
    assert.equal(layout.typeHidden, true);
    assert.equal(layout.overflow, false, 'nothing is wider than the phone');
    await phone.page.waitForTimeout(300);
    await (await phone.page.$('#frames iframe')).screenshot({ path: path.join(SHOTS, 'phone.png') });
  } finally {
    await phone.context.close();
  }
  assert.deepEqual(pageErrors, [], 'no errors and no CSP violations in the host, the proxy or the view');
});

test('a read-only user gets the browser without its write actions, and the write twins stay refused', async () => {
  const reader = await openHost({ email: 'reader@example.com', groups: 'readers' });
  try {
    const names = reader.tools.map((t) => t.name);
    assert.ok(names.includes('browse_objects') && names.includes('ui_get_object') && names.includes('ui_changes'), names.join(','));
    assert.ok(!names.some((n) => ['ui_put_object', 'ui_copy_object', 'ui_move_object', 'ui_delete_object', 'put_object'].includes(n)), names.join(','));
    const view = await render(reader);
    assert.deepEqual(await rows(view), [], 'a namespace of its own, empty');
    assert.equal(await view.evaluate(() => document.body.hasAttribute('data-readonly')), true);
    assert.equal(await view.isVisible('#upload-btn'), false);
    // Called anyway (not through a host), a write twin answers the readers' refusal.
    const { access_token } = await devToken(stack.url, 'reader@example.com', ['readers']);
    const sid = await rawSession(stack.url, access_token);
    const r = await post(stack.url, access_token, rpc('tools/call', { name: 'ui_delete_object', arguments: { key: 'x' } }), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
    const { result } = await r.json();
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /ui_delete_object changes objects, and your account has read-only access/);
  } finally {
    await reader.context.close();
  }
});

test('clients without apps get the same tool with a text listing; both protocol eras list and serve the app alike', async () => {
  // A 2025-03-26 session (no structuredContent) and a 2025-11-25 one, neither declaring the extension.
  for (const version of ['2025-03-26', LATEST]) {
    const sid = await rawSession(stack.url, seederToken, version);
    const r = await post(stack.url, seederToken, rpc('tools/call', { name: 'browse_objects', arguments: { prefix: 'docs/' } }), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': version });
    const { result } = await r.json();
    const text = result.content[0].text;
    assert.match(text, /^Folder "docs\/": 0 folders, 6 objects\./, text);
    assert.match(text, /\ndocs\/readme\.md {2}\(\d+ B, text\/markdown, modified \d{4}-/, text);
    assert.equal('structuredContent' in result, version !== '2025-03-26', version);
  }
  const listed = async (version) => {
    if (version === MODERN) {
      const r = await post(stack.url, seederToken, modernRpc('tools/list'), { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/list' });
      return (await r.json()).result;
    }
    const sid = await rawSession(stack.url, seederToken, version);
    return (await (await post(stack.url, seederToken, rpc('tools/list'), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': version })).json()).result;
  };
  const meta = (result) => result.tools.filter((t) => t._meta).map((t) => [t.name, t._meta]);
  const sessionEra = meta(await listed(LATEST));
  assert.equal(sessionEra.length, 7);
  assert.deepEqual(meta(await listed(MODERN)), sessionEra);
  const read = await post(stack.url, seederToken, modernRpc('resources/read', { uri: 'ui://r2/browser' }), { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'resources/read', 'Mcp-Name': 'ui://r2/browser' });
  const { result } = await read.json();
  assert.equal(result.contents[0].mimeType, 'text/html;profile=mcp-app');
  assert.match(result.contents[0].text, /^<!doctype html>/);
  const discover = await post(stack.url, seederToken, modernRpc('server/discover'), { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'server/discover' });
  assert.deepEqual((await discover.json()).result.capabilities.extensions, { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } });
});
