/**
 * The stateless revision 2026-07-28 on the same `/mcp` (basic/transports/streamable-http): no
 * session, version and capabilities in `_meta`, `server/discover`, `Mcp-Method`/`Mcp-Name`
 * checked against the body, GET/DELETE → 405, and `subscriptions/listen` streams.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { post, modernRpc, readEvents, MODERN } from '../support/mcp.mjs';

let worker;
let alice;

before(async () => {
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1', MCP_CONFORMANCE: '1' }) });
  alice = await devToken(worker.url, 'alice@example.com');
});

after(async () => {
  await worker?.close();
});

const modern = (body, headers = {}) =>
  post(worker.url, alice.access_token, body, { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': body.method, ...headers });

test('server/discover answers without a session and issues none', async () => {
  const r = await modern(modernRpc('server/discover'));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('mcp-session-id'), null);
  const { result } = await r.json();
  assert.ok(result.supportedVersions.includes('2026-07-28') && result.supportedVersions.includes('2025-11-25'));
  assert.equal(result.resultType, 'complete');
});

test('tools/list and tools/call work per request, with Mcp-Name checked', async () => {
  const list = await modern(modernRpc('tools/list'));
  assert.equal(list.status, 200);
  assert.ok((await list.json()).result.tools.some((t) => t.name === 'put_object'));
  const call = modernRpc('tools/call', { name: 'test_simple_text', arguments: {} });
  const ok = await modern(call, { 'Mcp-Name': 'test_simple_text' });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).result.content[0].type, 'text');
  const put = await modern(modernRpc('tools/call', { name: 'put_object', arguments: { key: 'm/a.txt', content: 'x' } }), {
    'Mcp-Name': 'put_object',
  });
  assert.equal((await put.json()).result.isError, false);
});

test('Mcp-Method or Mcp-Name disagreeing with the body is 400 HeaderMismatch', async () => {
  const wrongMethod = await modern(modernRpc('tools/list'), { 'Mcp-Method': 'prompts/list' });
  assert.equal(wrongMethod.status, 400);
  assert.equal((await wrongMethod.json()).error.code, -32020);
  const missingName = await modern(modernRpc('tools/call', { name: 'test_simple_text', arguments: {} }));
  assert.equal(missingName.status, 400);
  assert.equal((await missingName.json()).error.code, -32020);
  const wrongName = await modern(modernRpc('tools/call', { name: 'test_simple_text', arguments: {} }), { 'Mcp-Name': 'other' });
  assert.equal((await wrongName.json()).error.code, -32020);
});

test('an unknown method is 404 and missing _meta is 400 on 2026-07-28', async () => {
  const unknown = await modern(modernRpc('nope/never'));
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, -32601);
  const noMeta = await modern({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
  assert.equal(noMeta.status, 400);
  assert.equal((await noMeta.json()).error.code, -32602);
});

test('GET and DELETE answer 405 on 2026-07-28', async () => {
  for (const method of ['GET', 'DELETE']) {
    const r = await fetch(`${worker.url}/mcp`, {
      method,
      headers: { Authorization: `Bearer ${alice.access_token}`, Accept: 'text/event-stream', 'MCP-Protocol-Version': MODERN },
    });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get('allow'), 'POST');
  }
});

test('subscriptions/listen acknowledges, then carries tagged list changes', async () => {
  const body = modernRpc('subscriptions/listen', { notifications: { resourcesListChanged: true } }, 'L1');
  const listen = await modern(body);
  assert.equal(listen.status, 200);
  assert.match(listen.headers.get('content-type'), /^text\/event-stream/);
  const got = readEvents(listen, (e) => e.data.includes('list_changed'), 8000);
  await new Promise((r) => setTimeout(r, 200));
  await modern(modernRpc('tools/call', { name: 'put_object', arguments: { key: `m/${Date.now()}`, content: 'y' } }), {
    'Mcp-Name': 'put_object',
  });
  const events = (await got).map((e) => JSON.parse(e.data));
  assert.equal(events[0].method, 'notifications/subscriptions/acknowledged');
  const changed = events.find((m) => m.method === 'notifications/resources/list_changed');
  assert.ok(changed, JSON.stringify(events));
  assert.equal(changed.params._meta['io.modelcontextprotocol/subscriptionId'], 'L1');
});

test("one client's notifications/cancelled cannot cancel another client's request with the same id", async () => {
  // The same user through two grants (two clients): in-flight requests are keyed by grant.
  const other = await devToken(worker.url, 'alice@example.com');
  const run = async (canceller) => {
    const body = modernRpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } }, 'same-id');
    const r = await modern(body, { 'Mcp-Name': 'test_tool_with_progress' });
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    let cancelled = false;
    const events = await readEvents(r, (e) => {
      if (!cancelled && e.data.includes('notifications/progress')) {
        cancelled = true;
        const { id: _, ...notification } = modernRpc('notifications/cancelled', { requestId: 'same-id', reason: 'test' });
        post(worker.url, canceller, notification, {
          'MCP-Protocol-Version': MODERN,
          'Mcp-Method': 'notifications/cancelled',
        }).then((n) => assert.equal(n.status, 202));
      }
      return e.data.includes('"result"');
    }, 5000);
    return events.some((e) => e.data.includes('"result"'));
  };
  assert.equal(await run(other.access_token), true, "another client's cancel leaves the request running to its result");
  assert.equal(await run(alice.access_token), false, "the client's own cancel stops it (no result is sent)");
});
