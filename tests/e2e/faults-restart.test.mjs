/**
 * Faults: the runtime (workerd) is stopped and started again on its persisted state in the middle
 * of the work. (a) An MCP session — held by the official SDK client, with its GET stream open —
 * continues with the same `Mcp-Session-Id`, and the SDK's stream comes back by itself. (b) An open
 * GET stream that already delivered events is cut by the restart; changes made after the restart
 * are replayed, in order and none twice, when the client reconnects with `Last-Event-ID`. (c) No
 * acknowledged write is missing after a restart, whether the writes were acknowledged just before
 * it or were still being sent while the runtime went down, and the audit trail holds each one once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { objectBody } from '../support/mcp-tools.mjs';
import { post, rpc, rawSession, LATEST } from '../support/mcp.mjs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

let worker;
let stateDir;
let alice;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-faults-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
  alice = await devToken(worker.url, 'faults@example.com');
});

after(async () => {
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const session = (sid) => ({ 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': LATEST });

/** A tools/call on a raw session; returns structuredContent (asserting success). */
async function callTool(sid, name, args) {
  const r = await post(worker.url, alice.access_token, rpc('tools/call', { name, arguments: args }), session(sid));
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const msg = r.headers.get('content-type').startsWith('text/event-stream')
    ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5))).find((m) => 'result' in m || 'error' in m)
    : JSON.parse(text);
  assert.ok(msg.result, text);
  assert.notEqual(msg.result.isError, true, `${name}: ${msg.result.content?.[0]?.text}`);
  const body = objectBody(msg.result);
  return body === undefined ? msg.result.structuredContent : { ...msg.result.structuredContent, content: body };
}

/** The whole audit trail, oldest first. */
async function auditTrail(sid) {
  const rows = [];
  let cursor;
  do {
    const p = await callTool(sid, 'recent_changes', { limit: 200, ...(cursor ? { cursor } : {}) });
    rows.push(...p.changes);
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  return rows.reverse();
}

/**
 * A GET stream read in the background: `events` grows as they arrive (comments skipped), `ended`
 * resolves when the connection ends (the runtime going away ends it).
 */
function openGetStream(sid, lastEventId) {
  const ctl = new AbortController();
  const events = [];
  let status;
  const ended = (async () => {
    try {
      const r = await fetch(`${worker.url}/mcp`, {
        signal: ctl.signal,
        headers: {
          Authorization: `Bearer ${alice.access_token}`,
          Accept: 'text/event-stream',
          ...session(sid),
          ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
        },
      });
      status = r.status;
      if (r.status !== 200) return;
      let buf = '';
      for await (const chunk of r.body.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = { data: '' };
          let field = false;
          for (const line of block.split('\n')) {
            if (!line || line.startsWith(':')) continue;
            const c = line.indexOf(':');
            const k = c < 0 ? line : line.slice(0, c);
            const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
            field = true;
            if (k === 'data') ev.data += (ev.data ? '\n' : '') + v;
            else ev[k] = v;
          }
          if (field) events.push(ev);
        }
      }
    } catch {
      // the connection was cut (restart) or we aborted it
    }
  })();
  return {
    events,
    ended,
    get status() { return status; },
    messages: () => events.filter((e) => e.data).map((e) => ({ id: e.id, msg: JSON.parse(e.data) })),
    close: async () => { ctl.abort(); await ended; },
  };
}

async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const seqOf = (id) => Number(id.split('.').pop());
const streamOf = (id) => id.slice(0, id.lastIndexOf('.'));

test('(a) a session held by the SDK client continues across a restart with the same Mcp-Session-Id', async () => {
  const uri = 'r2://objects/faults/a.txt';
  const updates = [];
  // The SDK's own transport, with a fetch that notes the GET (stream) requests it makes.
  const gets = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${worker.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${alice.access_token}` } },
    reconnectionOptions: { initialReconnectionDelay: 300, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1.5, maxRetries: 40 },
    fetch: (url, init = {}) => {
      if ((init.method ?? 'GET') === 'GET') gets.push({ at: Date.now(), lastEventId: new Headers(init.headers).get('last-event-id') });
      return fetch(url, init);
    },
  });
  const client = new Client({ name: 'faults-sdk', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  try {
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
    const sid = transport.sessionId;
    assert.ok(sid);
    const first = await client.callTool({ name: 'put_object', arguments: { key: 'faults/a.txt', content: 'before' } });
    assert.equal(first.isError, false, JSON.stringify(first));
    await client.subscribeResource({ uri });
    // The SDK opened its GET stream after initialization; a change from another session reaches it.
    const other = await rawSession(worker.url, alice.access_token);
    await callTool(other, 'put_object', { key: 'faults/a.txt', content: 'by another session, before' });
    await waitFor(() => updates.length >= 1, 10_000, 'the update on the SDK stream before the restart');

    assert.ok(gets.length >= 1, 'the SDK opened its GET stream');
    const restartedAt = Date.now();
    await worker.restart();

    // Same client object, same transport, same session: no new initialize.
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'put_object'));
    assert.equal(transport.sessionId, sid, 'the session id is unchanged');
    const r = await client.callTool({ name: 'get_object', arguments: { key: 'faults/a.txt' } });
    assert.equal(r.isError, false, JSON.stringify(r));
    assert.equal(objectBody(r), 'by another session, before');
    const ping = await post(worker.url, alice.access_token, rpc('ping'), session(sid));
    assert.equal(ping.status, 200, 'the server still knows the session');
    await ping.body?.cancel();

    // The subscription survived, and the SDK's GET stream reconnected (with Last-Event-ID).
    const seen = updates.length;
    await callTool(other, 'put_object', { key: 'faults/a.txt', content: 'by another session, after' });
    await waitFor(() => updates.length > seen, 15_000, 'the update on the reconnected SDK stream after the restart');
    assert.ok(updates.every((u) => u === uri));
    const resumedGets = gets.filter((g) => g.at >= restartedAt);
    assert.ok(resumedGets.some((g) => g.lastEventId), `the SDK reconnected its stream with Last-Event-ID: ${JSON.stringify(gets)}`);
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close();
  }
});

test('(b) a GET stream cut by a restart resumes with Last-Event-ID: the missed events, in order, none twice', async () => {
  const uri = 'r2://objects/faults/doc.md';
  const watcher = await rawSession(worker.url, alice.access_token);
  const writer = await rawSession(worker.url, alice.access_token);
  const sub = await post(worker.url, alice.access_token, rpc('resources/subscribe', { uri }), session(watcher));
  assert.equal(sub.status, 200, await sub.text());

  // The live stream delivers the priming event and the changes made before the restart.
  const g = openGetStream(watcher);
  await waitFor(() => g.events.length >= 1, 5000, 'the priming event');
  assert.equal(g.status, 200);
  const primingId = g.events[0].id;
  assert.ok(primingId, 'the priming event has an id');
  for (const content of ['v1', 'v2']) await callTool(writer, 'put_object', { key: 'faults/doc.md', content });
  await waitFor(() => g.messages().filter((m) => m.msg.method === 'notifications/resources/updated').length === 2, 10_000, 'two updates before the restart');
  await waitFor(() => g.messages().some((m) => m.msg.method === 'notifications/resources/list_changed'), 5000, 'list_changed for the creation');
  const delivered = g.events.filter((e) => e.id).map((e) => e.id);
  const lastDelivered = delivered.at(-1);

  // The runtime goes away: the stream ends.
  await worker.restart();
  await Promise.race([g.ended, sleep(10_000).then(() => { throw new Error('the GET stream did not end with the runtime'); })]);
  await g.close();

  // Changes while the client is disconnected (the runtime is back, the stream is not).
  for (const content of ['v3', 'v4', 'v5']) await callTool(writer, 'put_object', { key: 'faults/doc.md', content });
  await callTool(writer, 'put_object', { key: 'faults/other.md', content: 'new object' });

  const resumed = openGetStream(watcher, lastDelivered);
  await waitFor(() => resumed.messages().filter((m) => m.msg.method === 'notifications/resources/updated').length >= 3, 10_000, 'the replayed updates');
  await waitFor(() => resumed.messages().some((m) => m.msg.method === 'notifications/resources/list_changed'), 5000, 'the replayed list_changed');
  await sleep(500); // anything extra would show up now
  await resumed.close();
  assert.equal(resumed.status, 200);
  const replayed = resumed.events.filter((e) => e.id);
  const replayedMsgs = resumed.messages();
  const updated = replayedMsgs.filter((m) => m.msg.method === 'notifications/resources/updated');
  assert.equal(updated.length, 3, `exactly the three missed updates: ${JSON.stringify(replayedMsgs)}`);
  assert.ok(updated.every((m) => m.msg.params.uri === uri));
  assert.equal(replayedMsgs.filter((m) => m.msg.method === 'notifications/resources/list_changed').length, 1, 'one list_changed for the new object');
  assert.equal(replayedMsgs.length, 4, JSON.stringify(replayedMsgs));

  // Same stream, later sequence numbers, strictly increasing, none already delivered.
  const ids = replayed.map((e) => e.id);
  assert.ok(ids.every((id) => streamOf(id) === streamOf(lastDelivered)), `${ids} continue ${lastDelivered}`);
  assert.ok(ids.every((id) => !delivered.includes(id)), 'no event delivered twice');
  const seqs = ids.map(seqOf);
  assert.ok(seqs[0] > seqOf(lastDelivered), 'the replay starts after Last-Event-ID');
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `in order: ${seqs}`);
  assert.ok(seqOf(primingId) <= seqOf(delivered[1]));

  // Resuming from the last replayed event gives nothing more.
  const tail = openGetStream(watcher, ids.at(-1));
  await sleep(800);
  await tail.close();
  assert.equal(tail.status, 200);
  assert.equal(tail.events.filter((e) => e.data).length, 0, JSON.stringify(tail.events));
});

test('(c) no acknowledged write is missing after a restart; the audit trail holds each exactly once', async () => {
  const writers = await Promise.all([0, 1, 2, 3].map(() => rawSession(worker.url, alice.access_token)));
  const acks = [];
  const before = (await auditTrail(writers[0])).length;

  // 1. Writes acknowledged just before the restart.
  await Promise.all(writers.map(async (sid, w) => {
    for (let n = 0; n < 10; n++) {
      const key = `faults/c/w${w}/k${n % 4}`;
      const content = `w${w} n${n} before`;
      const r = await callTool(sid, 'put_object', { key, content });
      acks.push({ key, content, etag: r.etag, seq: r.seq, n: acks.length });
    }
  }));
  await worker.restart();

  // 2. Writes still being sent while the runtime goes down: the acknowledged ones must survive.
  let stop = false;
  let refused = 0;
  const refusals = {};
  const refuse = (why) => { refused++; refusals[why] = (refusals[why] ?? 0) + 1; };
  const inFlight = Promise.all(writers.map(async (sid, w) => {
    for (let n = 0; !stop; n++) {
      const key = `faults/c/w${w}/k${n % 4}`;
      const content = `w${w} n${n} during`;
      try {
        const r = await post(worker.url, alice.access_token, rpc('tools/call', { name: 'put_object', arguments: { key, content } }), session(sid));
        const text = await r.text();
        if (r.status !== 200) { refuse(`HTTP ${r.status}: ${text.slice(0, 120)}`); continue; }
        const msg = r.headers.get('content-type').startsWith('text/event-stream')
          ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5))).find((m) => 'result' in m || 'error' in m)
          : JSON.parse(text);
        if (!msg?.result || msg.result.isError) { refuse(`tool error: ${JSON.stringify(msg).slice(0, 160)}`); continue; }
        acks.push({ key, content, etag: msg.result.structuredContent.etag, seq: msg.result.structuredContent.seq, n: acks.length });
      } catch (e) {
        refuse(`transport: ${e.cause?.code ?? e.message}`); // the connection died with the runtime: not acknowledged
        await sleep(50);
      }
    }
  }));
  await waitFor(() => acks.length >= 60, 20_000, 'writes before the second restart');
  await worker.restart();
  await sleep(300);
  stop = true;
  await inFlight;
  console.log(`# ${acks.length} acknowledged writes, ${refused} not acknowledged around the restart: ${JSON.stringify(refusals)}`);

  // Every acknowledged write is in the audit trail exactly once, with its key and etag.
  const check = await rawSession(worker.url, alice.access_token);
  const trail = (await auditTrail(check)).slice(before);
  const bySeq = new Map();
  for (const row of trail) {
    assert.ok(!bySeq.has(row.seq), `seq ${row.seq} appears once`);
    bySeq.set(row.seq, row);
  }
  for (const a of acks) {
    const row = bySeq.get(a.seq);
    assert.ok(row, `the acknowledged write ${a.key} ${a.etag} (seq ${a.seq}) is in the audit trail`);
    assert.deepEqual(row.keys, [a.key]);
    assert.equal(row.etag_after, a.etag);
  }
  assert.equal(new Set(acks.map((a) => a.seq)).size, acks.length, 'no two acknowledgements share a seq');

  // Each key holds its last applied write, which is the last acknowledged one or a later one
  // whose acknowledgement was lost with the connection (the audit trail says which).
  const lastRow = new Map();
  for (const row of trail) lastRow.set(row.keys[0], row);
  const lastAck = new Map();
  for (const a of acks) if (!lastAck.has(a.key) || lastAck.get(a.key).seq < a.seq) lastAck.set(a.key, a);
  for (const [key, a] of lastAck) {
    const now = await callTool(check, 'get_object', { key });
    const row = lastRow.get(key);
    assert.ok(row.seq >= a.seq, `${key}: nothing applied before its last acknowledged write replaced it`);
    assert.equal(now.etag, row.etag_after, `${key}: R2 holds the last audited write`);
    if (row.seq === a.seq) assert.equal(now.content, a.content, `${key}: the acknowledged content`);
  }
  // Per key, the etag chain links up in audit order (no write was applied on a stale version).
  const chain = new Map();
  for (const row of trail) {
    const k = row.keys[0];
    if (chain.has(k)) assert.equal(row.etag_before, chain.get(k), `${k}: seq ${row.seq} applied on the previous write`);
    chain.set(k, row.etag_after);
  }
});

test('(d) a write that reached R2 but died before its audit row is recorded by the next turn', async () => {
  const sid = await rawSession(worker.url, alice.access_token);
  const crashNextWrite = async () => {
    const r = await fetch(`${worker.url}/_dev/do/${alice.user_key}/crash-next-write`, { method: 'POST' });
    assert.equal(r.status, 200, await r.text());
  };
  /** Sends a tools/call that is expected to die with the object; it must not be acknowledged. */
  const dyingCall = async (name, args) => {
    const r = await post(worker.url, alice.access_token, rpc('tools/call', { name, arguments: args }), session(sid)).catch((e) => e);
    if (r instanceof Error) return;
    const text = await r.text();
    assert.ok(r.status >= 500 || !text.includes('"structuredContent"'), `not acknowledged: ${r.status} ${text.slice(0, 200)}`);
  };
  const liveSession = async () => rawSession(worker.url, alice.access_token);

  const v1 = await callTool(sid, 'put_object', { key: 'faults/d/doc', content: 'v1' });
  await crashNextWrite();
  await dyingCall('put_object', { key: 'faults/d/doc', content: 'v2' });

  // R2 holds v2, and the trail (settled by this first queue turn after the crash) says so.
  const s2 = await liveSession();
  const now = await callTool(s2, 'get_object', { key: 'faults/d/doc' });
  assert.equal(now.content, 'v2', 'R2 applied the write before the crash');
  let trail = await auditTrail(s2);
  let last = trail.at(-1);
  assert.deepEqual(last.keys, ['faults/d/doc']);
  assert.equal(last.operation, 'put');
  assert.equal(last.etag_before, v1.etag);
  assert.equal(last.etag_after, now.etag);
  assert.equal(last.session, sid, 'recorded for the session that sent it');

  // The next write continues the chain from the recovered row, once.
  const v3 = await callTool(s2, 'put_object', { key: 'faults/d/doc', content: 'v3' });
  trail = await auditTrail(s2);
  assert.equal(trail.filter((r) => r.keys[0] === 'faults/d/doc' && r.etag_after === now.etag).length, 1, 'the recovered write appears once');
  assert.equal(trail.at(-1).etag_before, now.etag);
  assert.equal(trail.at(-1).seq, v3.seq);

  // A move that died after deleting its source is recorded as a move.
  await crashNextWrite();
  await dyingCall('move_object', { source_key: 'faults/d/doc', destination_key: 'faults/d/moved' });
  const s3 = await liveSession();
  trail = await auditTrail(s3);
  last = trail.at(-1);
  assert.equal(last.operation, 'move');
  assert.deepEqual(last.keys, ['faults/d/doc', 'faults/d/moved']);
  assert.equal(last.etag_after, (await callTool(s3, 'head_object', { key: 'faults/d/moved' })).etag);

  // A delete likewise.
  await crashNextWrite();
  await dyingCall('delete_object', { key: 'faults/d/moved' });
  const s4 = await liveSession();
  const w = await callTool(s4, 'put_object', { key: 'faults/d/other', content: 'x' });
  trail = await auditTrail(s4);
  const [del, put] = trail.slice(-2);
  assert.equal(del.operation, 'delete');
  assert.deepEqual(del.keys, ['faults/d/moved']);
  assert.equal(put.seq, w.seq, 'the recovered delete is ordered before the write that settled it');
});
