/**
 * The official Python MCP SDK (`mcp` on PyPI, pinned in tests/python/requirements.txt and installed
 * into .tools/venv by scripts/setup) does the whole OAuth flow against the Worker with its
 * `OAuthClientProvider` (discovery, registration, PKCE, resource, `iss` check, token exchange), its
 * loopback redirect answered by our headless opener (consent + upstream login), then calls tools in
 * the era it negotiates by itself (`server/discover` → 2026-07-28) and with the initialize handshake,
 * and refreshes an expired access token. The client is tests/python/oauth_client.py; it prints a
 * JSON report that this spec checks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack } from '../support/stack.mjs';
import { ROOT } from '../support/worker.mjs';
import { login } from '../support/oauth-client.mjs';
import { connect, tool } from '../support/mcp-tools.mjs';

const PYTHON = path.join(ROOT, '.tools/venv/bin/python');
const CLIENT = path.join(ROOT, 'tests/python/oauth_client.py');
const HELPER = path.join(ROOT, 'tests/support/headless-open.mjs');
const EMAIL = 'python-user@example.com';

let stack;

before(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: scripts/setup creates it from tests/python/requirements.txt`);
  const pinned = readFileSync(path.join(ROOT, 'tests/python/requirements.txt'), 'utf8').match(/^mcp==(\S+)$/m)[1];
  const installed = await run(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("mcp"))']);
  assert.equal(installed.stdout.trim(), pinned, 'the venv has the pinned mcp: rerun scripts/setup');
  stack = await startStack();
});

after(async () => {
  await stack?.close();
});

function run(cmd, args, { env = process.env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

test('the Python SDK logs in through OAuth, calls tools in both eras and refreshes its token', { timeout: 150_000 }, async () => {
  const r = await run(PYTHON, [CLIENT, '--server-url', stack.mcpUrl, '--browser', `${process.execPath} ${HELPER}`, '--key', 'python/hello.txt', '--content', 'from the Python SDK'], {
    env: { ...process.env, HEADLESS_OPEN_EMAIL: EMAIL, PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(r.code, 0, `python client exited ${r.code}\n${r.stderr.slice(-4000)}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop());

  // One browser login, for the first connection only.
  assert.equal(report.browser_launches_total, 1, JSON.stringify(report.authorization_urls));
  assert.deepEqual(report.browser_exit_codes, [0], r.stderr.slice(-2000));
  const authorize = new URL(report.authorization_urls[0]);
  assert.equal(authorize.origin + authorize.pathname, `${stack.url}/authorize`);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorize.searchParams.get('resource'), stack.mcpUrl, 'RFC 8707 resource');
  assert.deepEqual(report.callback_params, ['code', 'iss', 'state'], 'RFC 9207 iss reached the client (and it checked it)');
  assert.equal(report.client.token_endpoint_auth_method, 'none');
  assert.match(report.client.redirect_uris[0], /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.equal(report.tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(report.tokens.has_refresh_token, true);

  // 1. The SDK's own negotiation picks the stateless revision; the tools work there.
  assert.equal(report.first.protocol_version, '2026-07-28');
  assert.equal(report.first.server, 'r2-mcp');
  for (const n of ['list_objects', 'get_object', 'put_object', 'delete_object']) assert.ok(report.tools.includes(n), `${n} in ${report.tools}`);
  assert.equal(report.put.key, 'python/hello.txt');
  assert.equal(report.get.content, 'from the Python SDK');
  assert.equal(report.get.etag, report.put.etag);
  assert.deepEqual(report.list, ['python/hello.txt']);

  // 2. The initialize handshake with the stored token.
  assert.equal(report.second.protocol_version, '2025-11-25');
  assert.deepEqual(report.second.list, ['python/hello.txt']);

  // 3. Refresh: new access token, rotated refresh token, calls go on.
  assert.equal(report.after_refresh.token_writes, 1, 'one refresh');
  assert.equal(report.after_refresh.access_token_changed, true);
  assert.equal(report.after_refresh.refresh_token_rotated, true);
  assert.deepEqual(report.after_refresh.list, ['python/hello.txt']);

  // The object is in the namespace of the user the browser logged in as.
  const p = await login(stack.mcpUrl, { user: { email: EMAIL } });
  const c = await connect(stack.url, p.tokens().access_token, 'check');
  assert.deepEqual((await tool(c, 'list_objects', { prefix: 'python/' })).objects.map((o) => o.key), ['python/hello.txt']);
  await c.close();
});
