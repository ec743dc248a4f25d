/**
 * R2 tools, listing: pagination across 2,500 objects (every key exactly once, in order), folders
 * as common prefixes with a delimiter, prefixes, resources/list pages, and key completion.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken, connect, tool, toolError, pool, listAll } from '../support/mcp-tools.mjs';

let worker;
let stateDir;
let clients = [];
const N = 2500;
const key = (i) => `many/${String(i).padStart(5, '0')}.txt`;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-tools-listing-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
  const token = await devToken(worker.url, 'lister@example.com');
  clients = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(worker.url, token, `lister-${i}`)));
  const t0 = performance.now();
  await pool([...Array(N).keys()], 8, (i) => tool(clients[i % 8], 'put_object', { key: key(i), content: `#${i}` }));
  console.log(`# ${N} puts through 8 sessions: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const k of ['docs/a.md', 'docs/b.md', 'docs/sub/c.md', 'docs/sub/deep/d.md', 'img/x.png', 'top.txt']) {
    await tool(clients[0], 'put_object', { key: k, content: k });
  }
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

test('pagination across 2,500 objects returns every key once, in order', async () => {
  const c = clients[0];
  for (const limit of [1000, 333]) {
    const { keys, pages } = await listAll(c, { prefix: 'many/', limit });
    assert.equal(keys.length, N, `limit ${limit}`);
    assert.deepEqual(keys, [...Array(N).keys()].map(key));
    assert.ok(pages >= Math.ceil(N / limit), `limit ${limit}: ${pages} pages`);
  }
  const first = await tool(c, 'list_objects', { prefix: 'many/', limit: 10 });
  assert.equal(first.objects.length, 10);
  assert.equal(typeof first.next_cursor, 'string');
  const o = first.objects[0];
  assert.equal(o.key, key(0));
  assert.equal(o.size, 2);
  assert.match(o.etag, /^[0-9a-f]+$/);
  assert.equal(o.content_type, 'text/plain; charset=utf-8');
  assert.ok(!Number.isNaN(Date.parse(o.uploaded)));
  assert.match(await toolError(c, 'list_objects', { limit: 1001 }), /limit/);
});

test('a delimiter groups keys into folders (common prefixes)', async () => {
  const c = clients[0];
  const root = await tool(c, 'list_objects', { delimiter: '/' });
  assert.deepEqual(root.folders, ['docs/', 'img/', 'many/']);
  assert.deepEqual(root.objects.map((o) => o.key), ['top.txt']);
  const docs = await tool(c, 'list_objects', { prefix: 'docs/', delimiter: '/' });
  assert.deepEqual(docs.folders, ['docs/sub/']);
  assert.deepEqual(docs.objects.map((o) => o.key), ['docs/a.md', 'docs/b.md']);
  const all = await tool(c, 'list_objects', { prefix: 'docs/' });
  assert.deepEqual(all.objects.map((o) => o.key), ['docs/a.md', 'docs/b.md', 'docs/sub/c.md', 'docs/sub/deep/d.md']);
  assert.deepEqual(all.folders, []);
  assert.equal(all.next_cursor, null);
});

test('resources/list pages over every object; completion offers folders and keys', async () => {
  const c = clients[0];
  const uris = [];
  let cursor;
  let pages = 0;
  do {
    const r = await c.listResources(cursor ? { cursor } : {});
    uris.push(...r.resources.filter((x) => x.uri.startsWith('r2://objects/')).map((x) => x.uri));
    cursor = r.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  assert.equal(uris.length, N + 6);
  assert.equal(new Set(uris).size, uris.length);
  assert.ok(pages > 1);
  assert.ok(uris.includes('r2://objects/docs/sub/deep/d.md'));

  const comp = await c.complete({ ref: { type: 'ref/resource', uri: 'r2://objects/{+key}' }, argument: { name: 'key', value: 'docs/' } });
  assert.deepEqual(comp.completion.values, ['docs/a.md', 'docs/b.md', 'docs/sub/']);
  const none = await c.complete({ ref: { type: 'ref/resource', uri: 'r2://objects/{+key}' }, argument: { name: 'key', value: '../' } });
  assert.deepEqual(none.completion.values, []);
});
