/**
 * Idle sessions cost nothing (issue: "Idle sessions cost nothing"): the front Worker holds each
 * client's long-lived stream (a session's GET stream, a 2026-07-28 listen stream) and its
 * keep-alives, and talks to the user's Durable Object over a WebSocket the object accepted with
 * the hibernation API. With 20 GET streams of one user open and nothing happening for longer than
 * the runtime's hibernation timeout (10 s in workerd), the object sleeps: the next event finds a
 * new instance (its constructor ran again). That event — a write from another session — reaches all
 * 20 streams, on the same never-reconnected responses, with each stream's next event id; a dropped
 * stream resumes with `Last-Event-ID`; a listen stream keeps its filter across the sleep.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../support/stack.mjs';
import { devToken } from '../support/tokens.mjs';
import { post, rpc, modernRpc, rawSession, LATEST, MODERN } from '../support/mcp.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads an SSE response in the background; events (with ids) and comments are collected. */
function watch(response) {
  const w = { events: [], comments: 0, ended: false };
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  w.cancel = () => reader.cancel().catch(() => {});
  w.done = (async () => {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) w.comments++;
            else if (line.startsWith('id:')) ev.id = line.slice(3).trim();
            else if (line.startsWith('data:')) ev.data = (ev.data ?? '') + line.slice(5).trim();
          }
          if (ev.id || ev.data) w.events.push(ev);
        }
      }
    } catch {
      // cancelled
    }
    w.ended = true;
  })();
  return w;
}

async function until(check, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

let stack;
let user;
before(async () => {
  stack = await startStack({ vars: { DEV_MODE: '1' } });
  user = await devToken(stack.url, 'sleepy@example.com');
});
after(async () => {
  await stack?.close();
});

const instance = async () => (await fetch(`${stack.url}/_dev/do/${user.user_key}/instance`)).json();
const seqOf = (id) => Number(id.slice(id.lastIndexOf('.') + 1));

test('20 idle GET streams: the object sleeps, and the next write reaches every stream with its next event id', async () => {
  const streams = [];
  for (let i = 0; i < 20; i++) {
    const sid = await rawSession(stack.url, user.access_token);
    const r = await fetch(stack.mcpUrl, {
      headers: { Authorization: `Bearer ${user.access_token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST },
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    streams.push({ sid, w: watch(r) });
  }
  assert.ok(await until(() => streams.every((s) => s.w.events.length === 1)), 'each stream primed');
  const primed = streams.map((s) => s.w.events[0].id);

  const awake = await instance();
  assert.equal(awake.sockets, 20, 'the object holds 20 sockets, not 20 response bodies');
  // Nothing touches the object for longer than the runtime's hibernation timeout.
  await sleep(13_000);

  const writer = await rawSession(stack.url, user.access_token);
  const w = await post(stack.url, user.access_token, rpc('tools/call', { name: 'put_object', arguments: { key: `wake/${Date.now()}`, content: 'hello' } }), {
    'Mcp-Session-Id': writer, 'MCP-Protocol-Version': LATEST,
  });
  assert.equal(w.status, 200);
  await w.body?.cancel();
  assert.ok(await until(() => streams.every((s) => s.w.events.length === 2)), `events: ${streams.map((s) => s.w.events.length)}`);

  const woken = await instance();
  assert.notEqual(woken.instance, awake.instance, 'a new instance served the write: the object had been evicted while the streams stayed open');
  assert.ok(woken.constructed > awake.constructed, `constructed ${awake.constructed} → ${woken.constructed}`);
  assert.equal(woken.sockets, 20, 'the sockets survived the sleep');
  streams.forEach((s, i) => {
    assert.ok(!s.w.ended, `stream ${i} stayed open`);
    const [first, second] = s.w.events;
    assert.equal(second.id.slice(0, second.id.lastIndexOf('.')), first.id.slice(0, first.id.lastIndexOf('.')), 'same stream');
    assert.equal(seqOf(second.id), seqOf(primed[i]) + 1, `stream ${i}: the next event id`);
    assert.match(second.data, /notifications\/resources\/list_changed/);
  });

  // A dropped stream resumes with Last-Event-ID: the write it missed comes first.
  const dropped = streams[0];
  const lastSeen = dropped.w.events.at(-1).id;
  streams.forEach((s) => s.w.cancel());
  await sleep(300);
  const w2 = await post(stack.url, user.access_token, rpc('tools/call', { name: 'delete_object', arguments: { key: 'nothing-here' } }), {
    'Mcp-Session-Id': writer, 'MCP-Protocol-Version': LATEST,
  });
  await w2.body?.cancel();
  const put2 = await post(stack.url, user.access_token, rpc('tools/call', { name: 'put_object', arguments: { key: `missed/${Date.now()}`, content: 'x' } }), {
    'Mcp-Session-Id': writer, 'MCP-Protocol-Version': LATEST,
  });
  await put2.body?.cancel();
  const again = await fetch(stack.mcpUrl, {
    headers: { Authorization: `Bearer ${user.access_token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': dropped.sid, 'MCP-Protocol-Version': LATEST, 'Last-Event-ID': lastSeen },
  });
  const resumed = watch(again);
  assert.ok(await until(() => resumed.events.length >= 1), 'the missed event is replayed');
  assert.equal(seqOf(resumed.events[0].id), seqOf(lastSeen) + 1);
  assert.match(resumed.events[0].data, /list_changed/);
  resumed.cancel();
});

test('a listen stream keeps its filter while the object sleeps', async () => {
  const listen = await post(stack.url, user.access_token, modernRpc('subscriptions/listen', { notifications: { resourcesListChanged: true } }, 'sub-1'), {
    'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'subscriptions/listen',
  });
  assert.equal(listen.status, 200);
  const w = watch(listen);
  assert.ok(await until(() => w.events.length === 1), 'acknowledged');
  assert.match(w.events[0].data, /subscriptions\/acknowledged/);
  const awake = await instance();
  await sleep(13_000);
  const put = await post(stack.url, user.access_token, modernRpc('tools/call', { name: 'put_object', arguments: { key: `listen/${Date.now()}`, content: 'y' } }), {
    'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'put_object',
  });
  await put.body?.cancel();
  assert.ok(await until(() => w.events.length === 2), 'the change reached the listen stream');
  const n = JSON.parse(w.events[1].data);
  assert.equal(n.method, 'notifications/resources/list_changed');
  assert.equal(n.params._meta['io.modelcontextprotocol/subscriptionId'], 'sub-1');
  assert.notEqual((await instance()).instance, awake.instance, 'the object slept meanwhile');
  w.cancel();
});

test("a client that goes away takes its socket with it, at the latest at the next keep-alive", async () => {
  const before = (await instance()).sockets;
  const sid = await rawSession(stack.url, user.access_token);
  const r = await fetch(stack.mcpUrl, {
    headers: { Authorization: `Bearer ${user.access_token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST },
  });
  const w = watch(r);
  assert.ok(await until(() => w.events.length === 1));
  assert.equal((await instance()).sockets, before + 1);
  w.cancel();
  // The runtime notices a client that left when the next keep-alive (20 s) is written to it; the
  // Worker's relay is then dropped and closes its socket (sooner where the request's signal aborts).
  let now = before + 1;
  for (let i = 0; i < 150 && now !== before; i++) {
    await sleep(200);
    now = (await instance()).sockets;
  }
  assert.equal(now, before, 'the socket closed when the client left');
});
