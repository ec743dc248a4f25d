/**
 * R2 tools, preconditions, copy and move, and the audit trail: if_match (match, mismatch),
 * create-only on an existing key, guarded deletes, copy and move with source and destination
 * guards; recent_changes lists exactly the applied writes, newest first, with etags before/after.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken, connect, tool, toolError } from '../support/mcp-tools.mjs';

let worker;
let stateDir;
let client;
let userKey;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-tools-pre-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
  const token = await devToken(worker.url, 'pre@example.com');
  userKey = token.split(':')[0]; // tokens are <user_key>:<grant>:<secret>
  client = await connect(worker.url, token, 'precondition-spec');
  await client.listTools();
});

after(async () => {
  await client?.close();
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const changes = async (limit = 200) => (await tool(client, 'recent_changes', { limit })).changes;

test('if_match: a matching etag writes, a stale one is refused and recorded nowhere', async () => {
  const v1 = await tool(client, 'put_object', { key: 'doc.txt', content: 'one', if_none_match: '*' });
  const v2 = await tool(client, 'put_object', { key: 'doc.txt', content: 'two', if_match: v1.etag });
  const before = (await changes()).length;
  const err = await toolError(client, 'put_object', { key: 'doc.txt', content: 'three', if_match: v1.etag });
  assert.match(err, /Precondition failed/);
  assert.ok(err.includes(v2.etag) && err.includes(v1.etag), err);
  assert.equal((await tool(client, 'get_object', { key: 'doc.txt' })).content, 'two');
  assert.equal((await changes()).length, before, 'a refused write is not audited');
  // Quoted etags (HTTP spelling) are accepted.
  await tool(client, 'put_object', { key: 'doc.txt', content: 'four', if_match: `"${v2.etag}"` });
  assert.match(await toolError(client, 'put_object', { key: 'nothing-here', content: 'x', if_match: 'abc' }), /does not exist/);
});

test('an object changed outside the server is never overwritten on the etag the server remembers', async () => {
  // The server remembers the etag of its own last write of a key, to skip a head; R2's conditional
  // put must still catch a change made behind its back.
  const bucket = await worker.bucket();
  const r2Key = (k) => `u/${userKey}/${k}`;
  const v1 = await tool(client, 'put_object', { key: 'outside.txt', content: 'ours 1' });
  const ext = await bucket.put(r2Key('outside.txt'), 'changed by another tool', { httpMetadata: { contentType: 'text/plain' } });
  assert.notEqual(ext.etag, v1.etag);
  const err = await toolError(client, 'put_object', { key: 'outside.txt', content: 'stale', if_match: v1.etag });
  assert.match(err, /Precondition failed/);
  assert.ok(err.includes(ext.etag), `the refusal names R2's current etag: ${err}`);
  assert.equal((await tool(client, 'get_object', { key: 'outside.txt' })).content, 'changed by another tool');
  // An unguarded write applies on top of the outside change, and the trail says what it replaced.
  const v2 = await tool(client, 'put_object', { key: 'outside.txt', content: 'ours 2' });
  const row = (await changes()).find((c) => c.seq === v2.seq);
  assert.equal(row.etag_before, ext.etag);
  // Deleted outside: create-only now succeeds, and the trail shows a creation.
  await bucket.delete(r2Key('outside.txt'));
  const v3 = await tool(client, 'put_object', { key: 'outside.txt', content: 'ours 3', if_none_match: '*' });
  assert.equal((await changes()).find((c) => c.seq === v3.seq).etag_before, null);
  assert.equal((await tool(client, 'get_object', { key: 'outside.txt' })).content, 'ours 3');
});

test('create-only (if_none_match "*") on an existing key is refused', async () => {
  await tool(client, 'put_object', { key: 'once.txt', content: 'first', if_none_match: '*' });
  assert.match(await toolError(client, 'put_object', { key: 'once.txt', content: 'second', if_none_match: '*' }), /already exists/);
  assert.equal((await tool(client, 'get_object', { key: 'once.txt' })).content, 'first');
});

test('delete with if_match, and multi-key delete', async () => {
  const v = await tool(client, 'put_object', { key: 'del/one', content: '1' });
  assert.match(await toolError(client, 'delete_object', { key: 'del/one', if_match: 'ffff' }), /Precondition failed/);
  assert.deepEqual((await tool(client, 'delete_object', { key: 'del/one', if_match: v.etag })).deleted, ['del/one']);
  for (let i = 0; i < 120; i++) await tool(client, 'put_object', { key: `del/m${i}`, content: `${i}` });
  const keys = [...Array(120).keys()].map((i) => `del/m${i}`).concat(['del/missing']);
  const r = await tool(client, 'delete_object', { keys });
  assert.equal(r.deleted.length, 120);
  assert.deepEqual(r.absent, ['del/missing']);
  assert.deepEqual((await tool(client, 'list_objects', { prefix: 'del/' })).objects, []);
  const last = (await changes(1))[0];
  assert.equal(last.operation, 'delete');
  assert.equal(last.keys.length, 120);
});

test('copy keeps content and metadata; guards on source and destination', async () => {
  const bytes = randomBytes(3000);
  const src = await tool(client, 'put_object', {
    key: 'c/src.bin', content_base64: bytes.toString('base64'), content_type: 'image/png', custom_metadata: { k: 'v' },
  });
  const cp = await tool(client, 'copy_object', { source_key: 'c/src.bin', destination_key: 'c/dst.bin', if_source_match: src.etag, if_none_match: '*' });
  assert.equal(cp.size, 3000);
  const head = await tool(client, 'head_object', { key: 'c/dst.bin' });
  assert.equal(head.content_type, 'image/png');
  assert.deepEqual(head.custom_metadata, { k: 'v' });
  assert.ok(Buffer.from((await tool(client, 'get_object', { key: 'c/dst.bin' })).content, 'base64').equals(bytes));
  assert.match(await toolError(client, 'copy_object', { source_key: 'c/src.bin', destination_key: 'c/dst.bin', if_none_match: '*' }), /already exists/);
  assert.match(await toolError(client, 'copy_object', { source_key: 'c/src.bin', destination_key: 'c/x', if_source_match: 'bad' }), /Precondition failed: source/);
  assert.match(await toolError(client, 'copy_object', { source_key: 'c/src.bin', destination_key: 'c/dst.bin', if_match: 'bad' }), /Precondition failed: destination/);
  assert.match(await toolError(client, 'copy_object', { source_key: 'c/none', destination_key: 'c/y' }), /not found/);
  await tool(client, 'head_object', { key: 'c/src.bin' });
});

test('move renames: destination written, source gone, one audit row', async () => {
  const src = await tool(client, 'put_object', { key: 'm/a.txt', content: 'moving' });
  const mv = await tool(client, 'move_object', { source_key: 'm/a.txt', destination_key: 'm/b.txt', if_source_match: src.etag });
  assert.equal((await tool(client, 'get_object', { key: 'm/b.txt' })).content, 'moving');
  assert.match(await toolError(client, 'head_object', { key: 'm/a.txt' }), /not found/);
  const last = (await changes(1))[0];
  assert.equal(last.operation, 'move');
  assert.deepEqual(last.keys, ['m/a.txt', 'm/b.txt']);
  assert.equal(last.etag_after, mv.etag);
  assert.equal(last.etag_before, null);
  assert.match(await toolError(client, 'move_object', { source_key: 'm/a.txt', destination_key: 'm/c.txt' }), /not found/);
});

test('recent_changes: newest first, paginated, with session, client and etags', async () => {
  const a = await tool(client, 'put_object', { key: 'audit/x', content: '1' });
  const b = await tool(client, 'put_object', { key: 'audit/x', content: '2' });
  const [newest, older] = await changes(2);
  assert.equal(newest.operation, 'put');
  assert.deepEqual(newest.keys, ['audit/x']);
  assert.equal(newest.etag_before, a.etag);
  assert.equal(newest.etag_after, b.etag);
  assert.equal(older.etag_after, a.etag);
  assert.equal(older.etag_before, null);
  assert.equal(newest.client, 'precondition-spec');
  assert.equal(typeof newest.session, 'string');
  assert.ok(newest.seq > older.seq);
  // Walk all pages: strictly decreasing seq, no repeats.
  const seen = [];
  let cursor;
  do {
    const p = await tool(client, 'recent_changes', { limit: 7, ...(cursor ? { cursor } : {}) });
    seen.push(...p.changes.map((c) => c.seq));
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  assert.deepEqual(seen, [...seen].sort((x, y) => y - x));
  assert.equal(new Set(seen).size, seen.length);
  assert.equal(seen.length, (await changes(200)).length);
  assert.match(await toolError(client, 'recent_changes', { cursor: 'garbage' }), /Invalid cursor/);
});
