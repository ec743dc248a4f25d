/**
 * MCP sessions over Streamable HTTP (2025-11-25 transports §Session Management), driven by the
 * official TypeScript SDK client: initialize → tools/list → tools/call (JSON and SSE), the GET
 * stream, DELETE → 404, a session surviving a runtime restart, session binding to its user, and the
 * per-user cap on sessions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { connectClient, post, rpc, rawSession, readEvents, LATEST } from '../support/mcp.mjs';

let worker;
let stateDir;
let alice;
let bob;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-sessions-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1', MCP_CONFORMANCE: '1' }), persistDir: stateDir });
  alice = await devToken(worker.url, 'alice@example.com');
  bob = await devToken(worker.url, 'bob@example.com');
});

after(async () => {
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

test('initialize creates a session with a visible-ASCII id; tools/list and tools/call work', async () => {
  const { client, transport } = await connectClient(worker.url, alice.access_token);
  try {
    assert.match(transport.sessionId, /^[\x21-\x7e]{43}$/);
    assert.equal(client.getServerVersion().name, 'r2-mcp');
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['list_objects', 'get_object', 'put_object', 'test_simple_text']) assert.ok(names.includes(n), n);
    const r = await client.callTool({ name: 'test_simple_text', arguments: {} });
    assert.deepEqual(r.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);
    const put = await client.callTool({ name: 'put_object', arguments: { key: 'notes/a.txt', content: 'hello' } });
    assert.equal(put.isError, false, JSON.stringify(put));
    const get = await client.callTool({ name: 'get_object', arguments: { key: 'notes/a.txt' } });
    assert.ok(JSON.stringify(get).includes('hello'));
  } finally {
    await transport.terminateSession();
    await client.close();
  }
});

test('a tools/call answers with JSON, or with SSE when it sends progress first', async () => {
  const sid = await rawSession(worker.url, alice.access_token);
  const h = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST };
  const json = await post(worker.url, alice.access_token, rpc('tools/call', { name: 'test_simple_text', arguments: {} }), h);
  assert.equal(json.status, 200);
  assert.match(json.headers.get('content-type'), /^application\/json/);
  assert.equal((await json.json()).result.content[0].type, 'text');

  const sse = await post(
    worker.url,
    alice.access_token,
    rpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p1' } }, 2),
    h,
  );
  assert.equal(sse.status, 200);
  assert.match(sse.headers.get('content-type'), /^text\/event-stream/);
  const events = await readEvents(sse, (e) => e.data.includes('"result"'));
  const messages = events.filter((e) => e.data).map((e) => JSON.parse(e.data));
  const progress = messages.filter((m) => m.method === 'notifications/progress');
  assert.deepEqual(progress.map((m) => m.params.progress), [0, 50, 100]);
  assert.equal(progress[0].params.progressToken, 'p1');
  assert.equal(messages.at(-1).id, 2);
  assert.ok(events.every((e) => e.id), 'every event on a session stream carries an id');
  assert.equal(events[0].data, '', 'the first event primes resumption');

  // With only application/json acceptable, the same call answers JSON (progress dropped).
  const onlyJson = await post(
    worker.url,
    alice.access_token,
    rpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p2' } }, 3),
    { ...h, Accept: 'application/json' },
  );
  assert.match(onlyJson.headers.get('content-type'), /^application\/json/);
  assert.equal((await onlyJson.json()).id, 3);
});

test('notifications and responses are answered 202 with no body', async () => {
  const sid = await rawSession(worker.url, alice.access_token);
  const h = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST };
  const n = await post(worker.url, alice.access_token, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, h);
  assert.equal(n.status, 202);
  assert.equal(await n.text(), '');
  const r = await post(worker.url, alice.access_token, { jsonrpc: '2.0', id: 'nobody-asked', result: {} }, h);
  assert.equal(r.status, 202);
});

test('GET opens the session stream (SSE, primed); DELETE ends the session, then 404', async () => {
  const sid = await rawSession(worker.url, alice.access_token);
  const get = await fetch(`${worker.url}/mcp`, {
    headers: { Authorization: `Bearer ${alice.access_token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST },
  });
  assert.equal(get.status, 200);
  assert.match(get.headers.get('content-type'), /^text\/event-stream/);
  const [priming] = await readEvents(get, () => true, 3000);
  assert.ok(priming?.id, 'priming event with an id');

  const del = await fetch(`${worker.url}/mcp`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${alice.access_token}`, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST },
  });
  assert.equal(del.status, 204);
  const after = await post(worker.url, alice.access_token, rpc('ping'), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
  assert.equal(after.status, 404);
  const again = await fetch(`${worker.url}/mcp`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${alice.access_token}`, 'Mcp-Session-Id': sid },
  });
  assert.equal(again.status, 404);
});

test("another user's token with this user's session id gets 404 and learns nothing", async () => {
  const sid = await rawSession(worker.url, alice.access_token);
  for (const [method, body] of [['POST', JSON.stringify(rpc('tools/list'))], ['GET', undefined], ['DELETE', undefined]]) {
    const r = await fetch(`${worker.url}/mcp`, {
      method,
      body,
      headers: {
        Authorization: `Bearer ${bob.access_token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': sid,
        'MCP-Protocol-Version': LATEST,
      },
    });
    assert.equal(r.status, 404, method);
    const text = await r.text();
    assert.ok(!text.includes('alice') && !text.includes(alice.user_key), text);
    // Exactly what an id that never existed gets.
    const unknown = await fetch(`${worker.url}/mcp`, {
      method,
      body,
      headers: {
        Authorization: `Bearer ${bob.access_token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': 'x'.repeat(43),
        'MCP-Protocol-Version': LATEST,
      },
    });
    assert.equal(unknown.status, 404);
    assert.equal(await unknown.text(), text);
  }
  // Alice's session is untouched by Bob's DELETE.
  const ok = await post(worker.url, alice.access_token, rpc('ping'), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
  assert.equal(ok.status, 200);
});

test('a session survives a restart of the runtime', async () => {
  const { client, transport } = await connectClient(worker.url, alice.access_token);
  const sid = transport.sessionId;
  await client.close();
  await worker.restart();
  const resumed = await connectClient(worker.url, alice.access_token, { sessionId: sid });
  try {
    assert.equal(resumed.transport.sessionId, sid);
    const { tools } = await resumed.client.listTools();
    assert.ok(tools.length > 0);
    const ping = await post(worker.url, alice.access_token, rpc('ping'), { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
    assert.equal(ping.status, 200);
  } finally {
    await resumed.client.close();
  }
});

test('a user keeps at most 200 sessions: going over drops the 11 least recently used, before and after a restart', async () => {
  const carol = await devToken(worker.url, 'carol@example.com');
  const h = (sid) => ({ 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });
  const alive = async (sid) => (await post(worker.url, carol.access_token, rpc('ping'), h(sid))).status;
  const create = () => rawSession(worker.url, carol.access_token);
  // The first 23 one after another, so their idle clocks order them; the rest 8 at a time.
  const sids = [];
  for (let i = 0; i < 23; i++) sids.push(await create());
  while (sids.length < 200) sids.push(...(await Promise.all(Array.from({ length: Math.min(8, 200 - sids.length) }, create))));
  assert.equal(await alive(sids[0]), 200, 'all 200 are kept');
  sids.push(await create()); // 201: down to 190, the 11 oldest dropped
  for (const i of [0, 5, 10]) assert.equal(await alive(sids[i]), 404, `session ${i} was dropped`);
  for (const i of [11, 22, 199, 200]) assert.equal(await alive(sids[i]), 200, `session ${i} is kept`);
  // A restarted object counts its sessions again: 190 + 10 fit, the next one evicts again.
  await worker.restart();
  for (let i = 0; i < 10; i++) sids.push(await create());
  assert.equal(await alive(sids[11]), 200, 'still kept at exactly 200');
  sids.push(await create());
  for (const i of [11, 21]) assert.equal(await alive(sids[i]), 404, `session ${i} was dropped after the restart`);
  for (const i of [22, 200, 211]) assert.equal(await alive(sids[i]), 200, `session ${i} is kept`);
});
