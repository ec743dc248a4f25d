/**
 * The MCP Inspector CLI (`@modelcontextprotocol/inspector`, pinned) against the Worker, as the
 * README tells users to run it: `--cli <url> --transport http --header "Authorization: Bearer <token>"`
 * with a token from the real OAuth flow (the SDK's client, consent and upstream login walked
 * headlessly). It lists the tools, writes, reads and lists an object, in the session era it defaults
 * to and in the stateless 2026-07-28 era; without a valid token it reports `auth_required`. Last, the
 * Inspector runs the OAuth login itself (its loopback callback, `$BROWSER` = our headless opener).
 * Every run has `HOME` in a temporary directory, so nothing lands in the real home.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, freePort } from '../support/stack.mjs';
import { ROOT } from '../support/worker.mjs';
import { login } from '../support/oauth-client.mjs';
import { objectBody } from '../support/mcp-tools.mjs';

const INSPECTOR = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const HELPER = path.join(ROOT, 'tests/support/headless-open.mjs');

let stack;
let home;
let token;

before(async () => {
  stack = await startStack();
  home = mkdtempSync(path.join(tmpdir(), 'r2mcp-inspector-'));
  token = (await login(stack.mcpUrl, { user: { email: 'inspector@example.com' }, clientName: 'E2E (token for the Inspector)' })).tokens().access_token;
});

after(async () => {
  await stack?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

function env(extra = {}) {
  const e = { ...process.env };
  for (const k of ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'DESKTOP_SESSION', 'DBUS_SESSION_BUS_ADDRESS']) delete e[k];
  return { ...e, HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory', NO_COLOR: '1', ...extra };
}

/**
 * Runs `mcp-inspector --cli <mcp url> --transport http … --format json`; resolves to
 * `{ code, json, stdout, stderr }` where json is the parsed stdout or, on failure, stderr's envelope.
 */
function inspector(args, { bearer = token, extraEnv = {}, timeoutMs = 60_000 } = {}) {
  const argv = [INSPECTOR, '--cli', stack.mcpUrl, '--transport', 'http', ...(bearer ? ['--header', `Authorization: Bearer ${bearer}`] : []), ...args, '--format', 'json'];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, argv, { env: env(extraEnv), cwd: home, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (err.code ?? err.signal) : 0;
      const parse = (s) => {
        const line = s.split('\n').find((l) => l.startsWith('{'));
        try {
          return line ? JSON.parse(s.trim().startsWith('{') ? s : line) : undefined;
        } catch {
          return undefined;
        }
      };
      resolve({ code, stdout, stderr, json: parse(stdout) ?? parse(stderr) });
    });
    child.stdin?.end();
  });
}

const ok = (r) => {
  assert.equal(r.code, 0, `inspector exited ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`);
  assert.ok(r.json?.result, `no result: ${r.stdout.slice(0, 2000)}`);
  return r.json.result;
};

/** A tools/call result: not an error, structuredContent with an identical text copy. */
const toolResult = (r) => {
  const res = ok(r);
  assert.notEqual(res.isError, true, JSON.stringify(res.content));
  assert.ok(res.structuredContent, 'structuredContent');
  assert.deepEqual(JSON.parse(res.content[0].text), res.structuredContent, 'text copy of structuredContent');
  const body = objectBody(res);
  return body === undefined ? res.structuredContent : { ...res.structuredContent, content: body };
};

test('tools/list: every tool with its schemas and annotations', async () => {
  const { tools } = ok(await inspector(['--method', 'tools/list']));
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const n of ['list_objects', 'get_object', 'head_object', 'put_object', 'delete_object', 'copy_object', 'move_object']) {
    assert.ok(byName[n], `${n} in ${Object.keys(byName)}`);
    assert.equal(byName[n].inputSchema.type, 'object', n);
    assert.equal(byName[n].outputSchema?.type, 'object', n);
  }
  assert.equal(byName.list_objects.annotations.readOnlyHint, true);
  assert.equal(byName.delete_object.annotations.destructiveHint, true);
  assert.deepEqual(byName.put_object.inputSchema.required, ['key']);
});

test('tools/call: put_object, get_object and list_objects round-trip an object', async () => {
  const put = toolResult(await inspector(['--method', 'tools/call', '--tool-name', 'put_object', '--tool-args-json', JSON.stringify({ key: 'inspector/hello world.txt', content: 'héllo from the Inspector', content_type: 'text/plain' })]));
  assert.equal(put.key, 'inspector/hello world.txt');
  assert.match(put.etag, /^[0-9a-f]{32}$/);

  const got = toolResult(await inspector(['--method', 'tools/call', '--tool-name', 'get_object', '--tool-arg', 'key=inspector/hello world.txt']));
  assert.equal(got.content, 'héllo from the Inspector');
  assert.equal(got.etag, put.etag);
  assert.equal(got.size, Buffer.byteLength('héllo from the Inspector'));

  const listed = toolResult(await inspector(['--method', 'tools/call', '--tool-name', 'list_objects', '--tool-arg', 'prefix=inspector/']));
  assert.deepEqual(listed.objects.map((o) => [o.key, o.etag]), [['inspector/hello world.txt', put.etag]]);
  assert.equal(listed.next_cursor, null);
});

test('the stateless 2026-07-28 era (--protocol-era modern) lists and calls tools too', async () => {
  const { tools } = ok(await inspector(['--protocol-era', 'modern', '--method', 'tools/list']));
  assert.ok(tools.some((t) => t.name === 'list_objects'));
  const r = await inspector(['--protocol-era', 'modern', '--method', 'tools/call', '--tool-name', 'list_objects', '--tool-arg', 'prefix=inspector/']);
  assert.deepEqual(toolResult(r).objects.map((o) => o.key), ['inspector/hello world.txt']);
  // Stateless results carry the server's identity in `_meta` (there is no initialize to carry it).
  assert.equal(r.json.result._meta?.['io.modelcontextprotocol/serverInfo']?.name, 'r2-mcp', 'answered in the stateless era');
});

test('a wrong or missing token: auth_required, never a result', async () => {
  for (const bearer of ['not-a-token', null]) {
    const r = await inspector(['--stored-auth-only', '--method', 'tools/list'], { bearer });
    assert.notEqual(r.code, 0, `exit code with ${bearer}: ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 1500)}`);
    assert.equal(r.json?.result, undefined);
    assert.equal(r.json?.error?.code, 'auth_required', `${r.stdout}\n${r.stderr}`);
  }
});

test('the Inspector runs the OAuth login itself: discovery, registration, consent, login, loopback callback', async () => {
  const port = await freePort();
  const log = path.join(home, 'browser.log');
  const r = await inspector(['--callback-url', `http://127.0.0.1:${port}/oauth/callback`, '--method', 'tools/call', '--tool-name', 'list_objects', '--tool-arg', 'prefix=inspector/'], {
    bearer: null,
    extraEnv: {
      MCP_AUTO_OPEN_ENABLED: 'true',
      BROWSER: `${process.execPath} ${HELPER}`,
      HEADLESS_OPEN_LOG: log,
      HEADLESS_OPEN_EMAIL: 'inspector@example.com',
    },
  });
  const browserLog = existsSync(log) ? readFileSync(log, 'utf8') : '(no browser log)';
  const listed = toolResult(r);
  // The same user as the token above, so the same namespace.
  assert.deepEqual(listed.objects.map((o) => o.key), ['inspector/hello world.txt'], browserLog);
  assert.match(browserLog, new RegExp(`delivered to http://127\\.0\\.0\\.1:${port}/oauth/callback: 200`));
  const authorize = new URL(browserLog.match(/opening (\S+)/)[1]);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorize.searchParams.get('resource'), stack.mcpUrl, 'RFC 8707 resource');
});
