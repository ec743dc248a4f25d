/**
 * `mcp-remote` (npm, pinned), the stdio bridge Claude Desktop and other stdio-only hosts use, against
 * the Worker: it discovers the login, registers itself, opens "the browser" (the `open` package runs
 * `xdg-open`, which runs `$BROWSER`: here tests/support/headless-open.mjs, which approves the consent
 * page, logs in upstream and lets the redirect reach mcp-remote's own loopback callback), exchanges
 * the code and then bridges MCP. The test speaks MCP over its stdio as a desktop host would. A second
 * start reuses the stored tokens without opening a browser. Nothing is written to the home directory
 * (`MCP_REMOTE_CONFIG_DIR` and `HOME` point at a temporary directory).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, freePort } from '../support/stack.mjs';
import { ROOT } from '../support/worker.mjs';
import { StdioRpc } from '../support/stdio-rpc.mjs';
import { connect, tool, objectBody } from '../support/mcp-tools.mjs';
import { login } from '../support/oauth-client.mjs';

const PROXY = path.join(ROOT, 'node_modules/mcp-remote/dist/proxy.js');
const HELPER = path.join(ROOT, 'tests/support/headless-open.mjs');
const EMAIL = 'remote-user@example.com';

let stack;
let dir;
let port;
const children = [];

before(async () => {
  stack = await startStack();
  dir = mkdtempSync(path.join(tmpdir(), 'r2mcp-mcp-remote-'));
  port = await freePort();
});

after(async () => {
  for (const c of children) await c.close().catch(() => {});
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment of a desktop host without a desktop: xdg-open falls back to `$BROWSER`. */
function env() {
  const e = { ...process.env };
  for (const k of ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'DESKTOP_SESSION', 'KDE_FULL_SESSION', 'GNOME_DESKTOP_SESSION_ID', 'DBUS_SESSION_BUS_ADDRESS']) delete e[k];
  return {
    ...e,
    HOME: dir,
    MCP_REMOTE_CONFIG_DIR: path.join(dir, 'mcp-auth'),
    BROWSER: `${process.execPath} ${HELPER}`,
    HEADLESS_OPEN_LOG: path.join(dir, 'browser.log'),
    HEADLESS_OPEN_EMAIL: EMAIL,
  };
}

function start() {
  const c = new StdioRpc(process.execPath, [PROXY, stack.mcpUrl, String(port), '--auth-timeout', '60'], { env: env(), cwd: dir });
  children.push(c);
  return c;
}

const browserLog = () => (existsSync(path.join(dir, 'browser.log')) ? readFileSync(path.join(dir, 'browser.log'), 'utf8') : '');

/** initialize + initialized, as Claude Desktop sends them. */
async function handshake(c) {
  const init = await c.request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'claude-ai', version: '0.1.0' },
  }, { timeoutMs: 90_000 });
  assert.ok(init.result, `initialize failed: ${JSON.stringify(init.error)}\n${c.tail()}\nbrowser:\n${browserLog()}`);
  c.notify('notifications/initialized');
  return init.result;
}

async function callTool(c, name, args) {
  const r = await c.request('tools/call', { name, arguments: args });
  assert.ok(r.result, `${name}: ${JSON.stringify(r.error)}\n${c.tail()}`);
  assert.notEqual(r.result.isError, true, `${name}: ${JSON.stringify(r.result.content)}`);
  return r.result;
}

test('mcp-remote runs its own OAuth flow headlessly and bridges initialize, tools/list and tools/call', { timeout: 150_000 }, async () => {
  const c = start();
  const init = await handshake(c);
  assert.equal(init.serverInfo?.name, 'r2-mcp');
  assert.ok(init.capabilities?.tools, 'tools capability');

  // The browser really ran: consent approved, upstream login done, code delivered to the callback.
  const log = browserLog();
  assert.match(log, /opening http:\/\/127\.0\.0\.1:\d+\/authorize\?/, log);
  assert.match(log, new RegExp(`delivered to http://(localhost|127\\.0\\.0\\.1):${port}/oauth/callback: 200`), log);

  const list = await c.request('tools/list', {});
  assert.ok(list.result, JSON.stringify(list.error));
  const names = list.result.tools.map((t) => t.name);
  for (const n of ['list_objects', 'get_object', 'put_object', 'delete_object']) assert.ok(names.includes(n), `${n} in ${names}`);

  const put = await callTool(c, 'put_object', { key: 'desktop/hello.txt', content: 'from Claude Desktop' });
  assert.equal(put.structuredContent.key, 'desktop/hello.txt');
  const listed = await callTool(c, 'list_objects', { prefix: 'desktop/' });
  assert.deepEqual(listed.structuredContent.objects.map((o) => o.key), ['desktop/hello.txt']);
  assert.deepEqual(JSON.parse(listed.content[0].text), listed.structuredContent, 'text copy of structuredContent');
  const got = await callTool(c, 'get_object', { key: 'desktop/hello.txt' });
  assert.equal(objectBody(got), 'from Claude Desktop');

  // What mcp-remote registered and stored, all under MCP_REMOTE_CONFIG_DIR.
  const files = readdirSync(path.join(dir, 'mcp-auth'), { recursive: true }).map(String);
  const clientFile = files.find((f) => f.endsWith('_client_info.json'));
  const tokensFile = files.find((f) => f.endsWith('_tokens.json'));
  assert.ok(clientFile && tokensFile, `stored files: ${files}`);
  const client = JSON.parse(readFileSync(path.join(dir, 'mcp-auth', clientFile), 'utf8'));
  assert.deepEqual(client.redirect_uris, [`http://localhost:${port}/oauth/callback`]);
  const tokens = JSON.parse(readFileSync(path.join(dir, 'mcp-auth', tokensFile), 'utf8'));
  assert.ok(tokens.access_token && tokens.refresh_token, 'access and refresh token stored');

  // The grant names the user the browser logged in as: another login as that user (the SDK's) sees
  // the object; a different user does not.
  const mine = await connect(stack.url, (await login(stack.mcpUrl, { user: { email: EMAIL } })).tokens().access_token, 'check');
  assert.deepEqual((await tool(mine, 'list_objects', { prefix: 'desktop/' })).objects.map((o) => o.key), ['desktop/hello.txt']);
  await mine.close();
  const other = await connect(stack.url, (await login(stack.mcpUrl, { user: { email: 'someone-else@example.com' } })).tokens().access_token, 'check');
  assert.deepEqual((await tool(other, 'list_objects', { prefix: 'desktop/' })).objects, []);
  await other.close();

  await c.close();
});

test('a restarted mcp-remote reuses its stored tokens: no browser, same namespace', { timeout: 120_000 }, async () => {
  const before = browserLog();
  const c = start();
  await handshake(c);
  const listed = await callTool(c, 'list_objects', { prefix: 'desktop/' });
  assert.deepEqual(listed.structuredContent.objects.map((o) => o.key), ['desktop/hello.txt']);
  assert.equal(browserLog(), before, 'no second browser login');
  await c.close();
});
