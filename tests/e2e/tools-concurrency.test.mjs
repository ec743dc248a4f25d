/**
 * R2 tools, serialized writes: 16 clients × 50 writes on one user, at once — own keys, keys every
 * client overwrites blindly, and one shared key updated with if_match read-modify-write loops.
 * Every acknowledged write is present, none is lost, and the audit trail's order is the applied
 * order (each key's etag chain links up, and its last etag is what R2 holds).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken, connect, tool, objectBody } from '../support/mcp-tools.mjs';

const CLIENTS = 16;
const WRITES = 50;
let worker;
let stateDir;
let clients = [];

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-tools-conc-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
  const token = await devToken(worker.url, 'busy@example.com');
  clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connect(worker.url, token, `agent-${i}`)));
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function sharedAppend(c, token) {
  for (let attempt = 1; ; attempt++) {
    const cur = await c.callTool({ name: 'get_object', arguments: { key: 'shared/log.txt' } });
    const args = cur.isError
      ? { key: 'shared/log.txt', content: token, if_none_match: '*' }
      : { key: 'shared/log.txt', content: `${objectBody(cur)}\n${token}`, if_match: cur.structuredContent.etag };
    const r = await c.callTool({ name: 'put_object', arguments: args });
    if (!r.isError) return { ...r.structuredContent, attempts: attempt, content: args.content };
    assert.match(r.content[0].text, /Precondition failed/, 'only a lost race may refuse the write');
  }
}

test('16 clients × 50 writes: nothing lost, audit order is the applied order', async () => {
  const acks = []; // { key, etag, seq, content }
  const t0 = performance.now();
  let refused = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      for (let j = 0; j < WRITES; j++) {
        let a;
        if (j % 3 === 0) {
          const r = await sharedAppend(c, `${i}:${j}`);
          refused += r.attempts - 1;
          a = { key: 'shared/log.txt', etag: r.etag, seq: r.seq, content: r.content };
        } else {
          const key = j % 3 === 1 ? `own/c${i}/k${j}` : `mixed/m${(i + j) % 8}`;
          const content = `${i}:${j}`;
          const r = await tool(c, 'put_object', { key, content });
          a = { key, etag: r.etag, seq: r.seq, content };
        }
        acks.push(a);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  console.log(`# ${acks.length} acknowledged writes in ${secs.toFixed(1)} s (${(acks.length / secs).toFixed(0)}/s), ${refused} if_match retries`);
  assert.equal(acks.length, CLIENTS * WRITES);

  // The audit trail, oldest first.
  const audit = [];
  let cursor;
  do {
    const p = await tool(clients[0], 'recent_changes', { limit: 200, ...(cursor ? { cursor } : {}) });
    audit.push(...p.changes);
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  audit.reverse();
  assert.equal(audit.length, acks.length, 'exactly one audit row per acknowledged write, none for refused ones');
  const bySeq = new Map(audit.map((r) => [r.seq, r]));
  for (const a of acks) {
    const row = bySeq.get(a.seq);
    assert.ok(row, `ack seq ${a.seq} is in the audit`);
    assert.deepEqual(row.keys, [a.key]);
    assert.equal(row.etag_after, a.etag);
  }
  assert.equal(new Set(audit.map((r) => r.client)).size, CLIENTS, 'each agent is named in the trail');

  // Per key: the etag chain links up in audit order, and the final state is the last applied write.
  const rowsByKey = new Map();
  for (const r of audit) rowsByKey.set(r.keys[0], [...(rowsByKey.get(r.keys[0]) ?? []), r]);
  const ackByEtag = new Map(acks.map((a) => [`${a.key} ${a.etag}`, a]));
  for (const [key, rows] of rowsByKey) {
    assert.equal(rows[0].etag_before, null, `${key}: first write created it`);
    for (let n = 1; n < rows.length; n++) {
      assert.equal(rows[n].etag_before, rows[n - 1].etag_after, `${key}: write ${n} applied on top of write ${n - 1}`);
    }
    const last = rows.at(-1);
    const now = await tool(clients[1], 'get_object', { key });
    assert.equal(now.etag, last.etag_after, `${key}: R2 holds the last audited write`);
    assert.equal(now.content, ackByEtag.get(`${key} ${last.etag_after}`).content);
  }

  // The shared log: every acknowledged append is present, in applied order.
  const shared = acks.filter((a) => a.key === 'shared/log.txt');
  const log = (await tool(clients[2], 'get_object', { key: 'shared/log.txt' })).content.split('\n');
  assert.equal(log.length, shared.length, 'no acknowledged append lost');
  const appliedOrder = rowsByKey.get('shared/log.txt').map((r) => ackByEtag.get(`shared/log.txt ${r.etag_after}`).content.split('\n').at(-1));
  assert.deepEqual(log, appliedOrder);
  const owned = acks.filter((a) => a.key.startsWith('own/'));
  assert.equal(new Set(owned.map((a) => a.key)).size, owned.length);
  for (const a of owned.slice(0, 50)) assert.equal((await tool(clients[3], 'get_object', { key: a.key })).content, a.content);
});
