/**
 * Every refusal of the MCP endpoint, with raw requests: Origin 403, Content-Type 415, Accept
 * 406, body size 413, unsupported MCP-Protocol-Version 400, missing session 400, unknown session
 * 404, and the JSON-RPC errors -32700, -32600, -32601, -32602; plus ping and cancellation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { post, rpc, rawSession, readEvents, LATEST } from '../support/mcp.mjs';

let worker;
let alice;
let sid;
let h;

before(async () => {
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1', MCP_CONFORMANCE: '1' }) });
  alice = await devToken(worker.url, 'alice@example.com');
  sid = await rawSession(worker.url, alice.access_token, LATEST, { sampling: {} });
  h = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST };
});

after(async () => {
  await worker?.close();
});

const send = (body, headers = {}) => post(worker.url, alice.access_token, body, { ...h, ...headers });

async function expectError(r, status, code) {
  assert.equal(r.status, status);
  const body = await r.json();
  assert.equal(body.jsonrpc, '2.0');
  if (code !== undefined) assert.equal(body.error.code, code, JSON.stringify(body));
  return body;
}

test('a foreign Origin is 403; own, loopback and default origins are served', async () => {
  await expectError(await send(rpc('ping'), { Origin: 'https://evil.example.com' }), 403);
  for (const origin of [worker.url, 'http://localhost:6274', 'https://playground.ai.cloudflare.com', 'https://inspector.use-mcp.dev', 'https://chat.use-mcp.dev']) {
    const r = await send(rpc('ping'), { Origin: origin });
    assert.equal(r.status, 200, origin);
    assert.equal(r.headers.get('access-control-allow-origin'), origin);
  }
});

test('the 403 names the refused origin and ALLOWED_ORIGINS, carries CORS headers, and comes before authentication', async () => {
  const origin = 'https://app.example.org';
  const body = await expectError(await send(rpc('ping'), { Origin: origin }), 403, -32600);
  assert.match(body.error.message, /Origin https:\/\/app\.example\.org is not allowed/);
  assert.ok(body.error.message.includes('ALLOWED_ORIGINS=https://app.example.org'), body.error.message);
  // No token at all: still the 403 (not the 401 challenge), readable by the refused page.
  const anonymous = await fetch(`${worker.url}/mcp`, {
    method: 'POST',
    headers: { Origin: origin, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify(rpc('initialize', { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 'page', version: '1' } })),
  });
  assert.equal(anonymous.status, 403);
  assert.equal(anonymous.headers.get('access-control-allow-origin'), origin);
  assert.equal(anonymous.headers.get('www-authenticate'), null);
  assert.match((await anonymous.json()).error.message, /ALLOWED_ORIGINS/);
  // The preflight is answered, so the page gets to read that message.
  const pre = await fetch(`${worker.url}/mcp`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
  assert.equal(pre.status, 204);
  // An Origin that no setting can list (null: sandboxed pages, file:) points at ALLOWED_ORIGINS=*.
  const nul = await expectError(await send(rpc('ping'), { Origin: 'null' }), 403);
  assert.match(nul.error.message, /ALLOWED_ORIGINS=\*/);
});

/** One raw request with a chosen Host header (fetch does not let a test set Host). */
function rawRequest(port, { method = 'POST', headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('DNS rebinding: a request whose Host and Origin are both the attacker\'s name over http is 403', async () => {
  const port = new URL(worker.url).port;
  const rebound = `rebind.attacker.example:${port}`;
  const r = await rawRequest(port, {
    headers: {
      Host: rebound,
      Origin: `http://${rebound}`,
      Authorization: `Bearer ${alice.access_token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...h,
    },
    body: JSON.stringify(rpc('ping')),
  });
  assert.equal(r.status, 403, r.text);
  assert.match(JSON.parse(r.text).error.message, new RegExp(`Origin http://${rebound.replace(/\./g, '\\.')} is not allowed`));
});

test('a body that is not application/json is 415', async () => {
  await expectError(await send(JSON.stringify(rpc('ping')), { 'Content-Type': 'text/plain' }), 415);
});

test('an Accept that allows neither JSON nor SSE is 406 (POST and GET)', async () => {
  await expectError(await send(rpc('ping'), { Accept: 'text/html' }), 406);
  const get = await fetch(`${worker.url}/mcp`, {
    headers: { Authorization: `Bearer ${alice.access_token}`, Accept: 'application/json', ...h },
  });
  assert.equal(get.status, 406);
});

/**
 * Sends the start of an oversized POST with node:http and waits for the answer without finishing
 * the body, the way a client sees a server that refuses early: with `Content-Length` the server can
 * refuse from the header alone; without it (chunked) it must read past the limit first.
 */
function oversizedPost({ chunked }) {
  const LIMIT = 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = http.request(`${worker.url}/mcp`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${alice.access_token}`, 'Content-Type': 'application/json', Accept: 'application/json', ...h,
        ...(chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(LIMIT + 4096) }),
      },
    }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => { req.destroy(); resolve({ status: res.statusCode, body: data }); });
    });
    req.on('error', (e) => reject(e));
    req.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"');
    if (chunked) {
      const mib = 'x'.repeat(1 << 20);
      for (let i = 0; i <= 16; i++) req.write(mib); // 17 MiB: past the limit; the body stays open
    }
  });
}

test('a body over 16 MiB is 413, with or without Content-Length', async () => {
  for (const chunked of [false, true]) {
    const r = await oversizedPost({ chunked });
    assert.equal(r.status, 413, chunked ? 'chunked' : 'with Content-Length');
  }
});

test('an unsupported MCP-Protocol-Version is 400 naming the supported ones', async () => {
  const body = await expectError(await send(rpc('ping'), { 'MCP-Protocol-Version': '1999-01-01' }), 400, -32022);
  assert.ok(body.error.data.supported.includes('2025-11-25'));
});

test('a request without Mcp-Session-Id is 400; an unknown one is 404', async () => {
  const r = await post(worker.url, alice.access_token, rpc('tools/list'), { 'MCP-Protocol-Version': LATEST });
  await expectError(r, 400);
  await expectError(await send(rpc('tools/list'), { 'Mcp-Session-Id': 'A'.repeat(43) }), 404);
  await expectError(await send(rpc('tools/list'), { 'Mcp-Session-Id': 'not a session id!' }), 404);
});

test('JSON-RPC errors: -32700 parse, -32600 invalid and batches, -32601 method, -32602 params', async () => {
  const parse = await expectError(await send('{"jsonrpc":'), 400, -32700);
  assert.equal(parse.id, null);
  await expectError(await send([rpc('ping')]), 400, -32600);
  await expectError(await send({ jsonrpc: '1.0', id: 1, method: 'ping' }), 400, -32600);
  const unknown = await expectError(await send(rpc('no/such/method', {}, 5)), 200, -32601);
  assert.equal(unknown.id, 5);
  await expectError(await send(rpc('tools/call', { arguments: {} })), 200, -32602);
  await expectError(await send(rpc('tools/call', { name: 'no_such_tool' })), 200, -32602);
});

test('ping answers an empty result', async () => {
  const r = await send(rpc('ping', {}, 'p'));
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { jsonrpc: '2.0', id: 'p', result: {} });
});

test('notifications/cancelled stops the request it names: no answer is sent', async () => {
  // test_sampling waits for the client's answer; cancel it instead of answering.
  const r = await send(rpc('tools/call', { name: 'test_sampling', arguments: { prompt: 'hi' } }, 'c1'));
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  const events = readEvents(r, () => false, 4000);
  await new Promise((res) => setTimeout(res, 300));
  const n = await send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c1', reason: 'test' } });
  assert.equal(n.status, 202);
  // Answer the pending sampling request so the script proceeds to its (suppressed) result.
  const got = await events;
  const ask = got.map((e) => e.data && JSON.parse(e.data)).find((m) => m?.method === 'sampling/createMessage');
  assert.ok(ask, 'the server asked the client');
  assert.ok(!got.some((e) => e.data.includes('"c1"') && e.data.includes('"result"')));
});
