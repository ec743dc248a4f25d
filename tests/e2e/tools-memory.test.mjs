/**
 * Memory under hostile but valid use (issue: "Memory under hostile but valid use"): large bodies
 * pass through an isolate's 128 MB one at a time (object::large), a put's raw bytes do not wait in
 * the write queue beside its decoded content, `initialize` declarations are bounded, and
 * copy_object streams R2 to R2 instead of buffering the object. Four 9 MiB puts and four 9 MiB
 * reads at once on one user, five oversized `clientInfo`s and another user's requests meanwhile
 * end with no 5xx and no transport error, and every byte comes back as written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startStack } from '../support/stack.mjs';
import { devToken } from '../support/tokens.mjs';
import { post, modernRpc, rpc, MODERN } from '../support/mcp.mjs';

const MiB = 1024 * 1024;
const sha = (b) => createHash('sha256').update(b).digest('hex');

let stack;
let alice;
let bob;
before(async () => {
  stack = await startStack({ vars: { MCP_CONFORMANCE: '1' } });
  alice = await devToken(stack.url, 'alice-mem@example.com');
  bob = await devToken(stack.url, 'bob-mem@example.com');
});
after(async () => {
  await stack?.close();
});

/** A 2026-07-28 request (no session needed); resolves to { status, json } or throws on transport. */
async function call(token, method, params, name) {
  const r = await post(stack.url, token, modernRpc(method, params), {
    'MCP-Protocol-Version': MODERN,
    'Mcp-Method': method,
    ...(name ? { 'Mcp-Name': name } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

const put = (token, key, bytes) => call(token, 'tools/call', { name: 'put_object', arguments: { key, content_base64: bytes.toString('base64') } }, 'put_object');
const read = (token, key) => call(token, 'resources/read', { uri: `r2://objects/${key}` }, `r2://objects/${key}`);

test('four 9 MiB puts and four 9 MiB reads at once, oversized clientInfo, another user meanwhile: no 5xx, every byte intact', async () => {
  const stored = [];
  for (let i = 0; i < 4; i++) {
    const bytes = randomBytes(9 * MiB);
    const r = await put(alice.access_token, `mem/stored-${i}`, bytes);
    assert.equal(r.status, 200);
    assert.notEqual(r.json.result.isError, true, JSON.stringify(r.json).slice(0, 300));
    stored.push(bytes);
  }
  const fresh = Array.from({ length: 4 }, () => randomBytes(9 * MiB));
  const heap = async () => (await (await fetch(`${stack.url}/_dev/metrics`)).json()).wasm_memory_bytes;
  const heapBefore = await heap();

  const puts = fresh.map((b, i) => put(alice.access_token, `mem/fresh-${i}`, b));
  const reads = stored.map((_, i) => read(alice.access_token, `mem/stored-${i}`));
  const inits = Array.from({ length: 5 }, () => post(stack.url, alice.access_token, rpc('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'x'.repeat(1_500_000), version: '1' },
  })).then(async (r) => ({ status: r.status, json: await r.json() })));
  let bobDone = false;
  const bobs = (async () => {
    const out = [];
    while (!bobDone || out.length < 5) {
      out.push(await call(bob.access_token, 'tools/call', { name: 'list_objects', arguments: {} }, 'list_objects'));
    }
    return out;
  })();
  const [p, r, n] = await Promise.all([Promise.all(puts), Promise.all(reads), Promise.all(inits)]);
  bobDone = true;
  const b = await bobs;

  for (const x of [...p, ...r, ...n, ...b]) assert.ok(x.status < 500, `a ${x.status}: ${JSON.stringify(x.json).slice(0, 300)}`);
  for (const x of p) assert.notEqual(x.json.result.isError, true, JSON.stringify(x.json).slice(0, 300));
  r.forEach((x, i) => assert.equal(sha(Buffer.from(x.json.result.contents[0].blob, 'base64')), sha(stored[i]), `read ${i}`));
  for (const x of n) assert.equal(x.json.error.code, -32602, 'an oversized clientInfo is invalid params');
  assert.ok(b.every((x) => x.status === 200 && Array.isArray(x.json.result.structuredContent.objects)), 'the other user was served throughout');
  for (let i = 0; i < 4; i++) {
    const back = await read(alice.access_token, `mem/fresh-${i}`);
    assert.equal(sha(Buffer.from(back.json.result.contents[0].blob, 'base64')), sha(fresh[i]), `fresh ${i} was written whole`);
  }
  const heapAfter = await heap();
  console.log(`# wasm memory of the Worker's isolate: ${(heapBefore / MiB).toFixed(1)} MiB before, ${(heapAfter / MiB).toFixed(1)} MiB after`);
});

test('copy_object streams R2 to R2: a 70 MiB object (past the old 64 MiB in-memory limit) is copied whole', async () => {
  const bucket = await stack.worker.bucket();
  const bytes = randomBytes(70 * MiB);
  await bucket.put(`u/${alice.user_key}/mem/huge.bin`, bytes, { httpMetadata: { contentType: 'application/x-test' } });
  const r = await call(alice.access_token, 'tools/call', { name: 'copy_object', arguments: { source_key: 'mem/huge.bin', destination_key: 'mem/huge-copy.bin' } }, 'copy_object');
  assert.equal(r.status, 200);
  assert.notEqual(r.json.result.isError, true, JSON.stringify(r.json.result));
  assert.equal(r.json.result.structuredContent.size, bytes.length);
  const copy = await bucket.get(`u/${alice.user_key}/mem/huge-copy.bin`);
  assert.equal(sha(Buffer.from(await copy.arrayBuffer())), sha(bytes));
  assert.equal(copy.httpMetadata.contentType, 'application/x-test', 'the metadata goes with it');
});
