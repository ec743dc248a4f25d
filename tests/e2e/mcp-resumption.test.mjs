/**
 * Resumption (2025-11-25 transports §Resumability and Redelivery, SEP-1699): events carry ids; a
 * GET with `Last-Event-ID` replays what a dropped stream missed from the object's event log, for
 * a POST stream the server closed mid-call and for the session's GET stream; resource changes in
 * one session reach another session's GET stream.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { connectClient, post, rpc, rawSession, readEvents, LATEST } from '../support/mcp.mjs';

let worker;
let alice;

before(async () => {
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1', MCP_CONFORMANCE: '1' }) });
  alice = await devToken(worker.url, 'alice@example.com');
});

after(async () => {
  await worker?.close();
});

const getStream = (sid, lastEventId) =>
  fetch(`${worker.url}/mcp`, {
    headers: {
      Authorization: `Bearer ${alice.access_token}`,
      Accept: 'text/event-stream',
      'Mcp-Session-Id': sid,
      'MCP-Protocol-Version': LATEST,
      ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
    },
  });

test('a POST stream closed mid-call is resumed with Last-Event-ID and delivers the result', async () => {
  const sid = await rawSession(worker.url, alice.access_token);
  const r = await post(worker.url, alice.access_token, rpc('tools/call', { name: 'test_reconnection', arguments: {} }, 7), {
    'Mcp-Session-Id': sid,
    'MCP-Protocol-Version': LATEST,
  });
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  const first = await readEvents(r, () => false, 5000); // the server closes it
  assert.ok(first.some((e) => e.retry), 'a retry hint before the close');
  assert.ok(!first.some((e) => e.data.includes('"result"')), 'no result on the first connection');
  const lastId = first.filter((e) => e.id).at(-1).id;

  const resumed = await getStream(sid, lastId);
  assert.equal(resumed.status, 200);
  const events = await readEvents(resumed, (e) => e.data.includes('"result"'), 5000);
  const result = events.map((e) => e.data && JSON.parse(e.data)).find((m) => m?.id === 7);
  assert.equal(result.result.content[0].text, 'Reconnection test completed');
});

test("a dropped GET stream replays the missed notifications; changes reach other sessions' streams", async () => {
  // Session 2 subscribes to an object and opens its GET stream, then loses it.
  const watcher = await rawSession(worker.url, alice.access_token);
  const h = { 'Mcp-Session-Id': watcher, 'MCP-Protocol-Version': LATEST };
  const uri = 'r2://objects/shared/doc.md';
  const sub = await post(worker.url, alice.access_token, rpc('resources/subscribe', { uri }), h);
  assert.equal(sub.status, 200, await sub.clone().text());
  const g = await getStream(watcher);
  const [priming] = await readEvents(g, () => true, 3000);
  assert.ok(priming.id);

  // Session 1 (the SDK client) creates and then changes the object while session 2 is away.
  const { client, transport } = await connectClient(worker.url, alice.access_token);
  try {
    for (const content of ['v1', 'v2']) {
      const put = await client.callTool({ name: 'put_object', arguments: { key: 'shared/doc.md', content } });
      assert.equal(put.isError, false, JSON.stringify(put));
    }
  } finally {
    await transport.terminateSession();
    await client.close();
  }

  const replay = await getStream(watcher, priming.id);
  assert.equal(replay.status, 200);
  const events = await readEvents(replay, (e) => false, 1500);
  const methods = events.filter((e) => e.data).map((e) => JSON.parse(e.data));
  const updated = methods.filter((m) => m.method === 'notifications/resources/updated');
  assert.equal(updated.length, 2, JSON.stringify(methods));
  assert.equal(updated[0].params.uri, uri);
  assert.ok(methods.some((m) => m.method === 'notifications/resources/list_changed'), 'creation changes the list');
  const ids = events.filter((e) => e.id).map((e) => Number(e.id.split('.').pop()));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'replayed in order');

  // Replaying from the last id gives nothing more.
  const tail = await getStream(watcher, events.filter((e) => e.id).at(-1).id);
  const none = await readEvents(tail, () => false, 800);
  assert.equal(none.filter((e) => e.data).length, 0);
});

test('a live GET stream receives a change made by another session as it happens', async () => {
  const watcher = await rawSession(worker.url, alice.access_token);
  const g = await getStream(watcher);
  const got = readEvents(g, (e) => e.data.includes('list_changed'), 8000);
  const { client, transport } = await connectClient(worker.url, alice.access_token);
  try {
    await client.callTool({ name: 'put_object', arguments: { key: `live/${Date.now()}.txt`, content: 'x' } });
  } finally {
    await transport.terminateSession();
    await client.close();
  }
  const events = await got;
  assert.ok(events.some((e) => e.data.includes('notifications/resources/list_changed')), JSON.stringify(events));
});
