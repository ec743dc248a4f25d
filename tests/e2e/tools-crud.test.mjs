/**
 * R2 tools, CRUD: put/get/head/delete through a real MCP client; text and binary content (byte
 * for byte), byte ranges, the 1 MiB inline limit with a resource_link to the whole object, and
 * precise tool errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken, connect, tool, toolError, objectBody } from '../support/mcp-tools.mjs';

let worker;
let stateDir;
let client;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-tools-crud-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
  client = await connect(worker.url, await devToken(worker.url, 'crud@example.com'));
  await client.listTools(); // the SDK validates structuredContent against outputSchema from here on
});

after(async () => {
  await client?.close();
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

test('text objects: put, get, head, overwrite, delete', async () => {
  const put = await tool(client, 'put_object', {
    key: 'notes/hello.md',
    content: 'Hello, R2! é€😀',
    content_type: 'text/markdown; charset=utf-8',
    custom_metadata: { author: 'alice' },
  });
  assert.equal(put.key, 'notes/hello.md');
  assert.equal(put.size, Buffer.byteLength('Hello, R2! é€😀'));
  assert.match(put.etag, /^[0-9a-f]+$/);

  const got = await tool(client, 'get_object', { key: 'notes/hello.md' });
  assert.equal(got.encoding, 'text');
  assert.equal(got.content, 'Hello, R2! é€😀');
  assert.equal(got.etag, put.etag);
  assert.equal(got.truncated, false);
  assert.equal(got.content_type, 'text/markdown; charset=utf-8');
  assert.ok(!Number.isNaN(Date.parse(got.uploaded)));

  const head = await tool(client, 'head_object', { key: 'notes/hello.md' });
  assert.deepEqual(head.custom_metadata, { author: 'alice' });
  assert.equal(head.size, put.size);
  assert.equal(head.etag, put.etag);

  const put2 = await tool(client, 'put_object', { key: 'notes/hello.md', content: 'v2' });
  assert.notEqual(put2.etag, put.etag);
  assert.equal((await tool(client, 'get_object', { key: 'notes/hello.md' })).content, 'v2');

  const del = await tool(client, 'delete_object', { key: 'notes/hello.md' });
  assert.deepEqual(del.deleted, ['notes/hello.md']);
  assert.match(await toolError(client, 'get_object', { key: 'notes/hello.md' }), /not found/i);
  assert.match(await toolError(client, 'head_object', { key: 'notes/hello.md' }), /not found/i);
  const again = await tool(client, 'delete_object', { key: 'notes/hello.md' });
  assert.deepEqual(again.deleted, [], 'deleting a missing key succeeds and deletes nothing');
});

test('binary objects round-trip byte for byte', async () => {
  const bytes = randomBytes(70_000);
  bytes[0] = 0; bytes[1] = 0xff; bytes[2] = 0x80;
  const put = await tool(client, 'put_object', { key: 'bin/blob.dat', content_base64: bytes.toString('base64') });
  assert.equal(put.size, bytes.length);
  const got = await tool(client, 'get_object', { key: 'bin/blob.dat' });
  assert.equal(got.encoding, 'base64');
  assert.equal(got.content_type, 'application/octet-stream');
  assert.ok(Buffer.from(got.content, 'base64').equals(bytes));
  // A text type whose bytes are not UTF-8 still comes back exactly, as base64.
  const bad = Buffer.from([0x68, 0x69, 0xff, 0xfe]);
  await tool(client, 'put_object', { key: 'bin/not-utf8.txt', content_base64: bad.toString('base64'), content_type: 'text/plain' });
  const g2 = await tool(client, 'get_object', { key: 'bin/not-utf8.txt' });
  assert.equal(g2.encoding, 'base64');
  assert.ok(Buffer.from(g2.content, 'base64').equals(bad));
});

test('byte ranges: offset/length, offset to end, suffix, past the end', async () => {
  const text = 'abcdefghijklmnopqrstuvwxyz';
  await tool(client, 'put_object', { key: 'r/alpha.txt', content: text });
  const cases = [
    [{ offset: 2, length: 5 }, 2, 'cdefg'],
    [{ offset: 20 }, 20, 'uvwxyz'],
    [{ length: 3 }, 0, 'abc'],
    [{ suffix: 4 }, 22, 'wxyz'],
    [{ offset: 24, length: 100 }, 24, 'yz'],
  ];
  for (const [range, offset, want] of cases) {
    const got = await tool(client, 'get_object', { key: 'r/alpha.txt', range });
    assert.equal(got.content, want, JSON.stringify(range));
    assert.equal(got.offset, offset, JSON.stringify(range));
    assert.equal(got.size, 26);
    assert.equal(got.truncated, false);
  }
  assert.match(await toolError(client, 'get_object', { key: 'r/alpha.txt', range: { offset: 26 } }), /range/i);
  assert.match(await toolError(client, 'get_object', { key: 'r/alpha.txt', range: { suffix: 1, offset: 1 } }), /range/i);
  const bin = randomBytes(5000);
  await tool(client, 'put_object', { key: 'r/bin', content_base64: bin.toString('base64') });
  const part = await tool(client, 'get_object', { key: 'r/bin', range: { offset: 1000, length: 777 } });
  assert.ok(Buffer.from(part.content, 'base64').equals(bin.subarray(1000, 1777)));
});

test('objects above 1 MiB return their head, truncated, with a resource_link to the whole', async () => {
  const MiB = 1024 * 1024;
  const big = randomBytes(MiB + 4096);
  await tool(client, 'put_object', { key: 'big/blob.bin', content_base64: big.toString('base64') });
  const t0 = performance.now();
  const r = await client.callTool({ name: 'get_object', arguments: { key: 'big/blob.bin' } });
  const ms = performance.now() - t0;
  const s = r.structuredContent;
  assert.equal(s.truncated, true);
  assert.equal(s.size, big.length);
  // The metadata first (structuredContent's text copy), the bytes once, then the link.
  assert.deepEqual(r.content.map((c) => c.type), ['text', 'resource', 'resource_link']);
  assert.ok(r.content[0].text.length < 1000, 'the text copy is the metadata alone');
  const head = Buffer.from(objectBody(r), 'base64');
  assert.equal(head.length, MiB);
  assert.ok(head.equals(big.subarray(0, MiB)));
  const link = r.content.find((c) => c.type === 'resource_link');
  assert.ok(link, 'a resource_link block');
  assert.equal(link.uri, 'r2://objects/big/blob.bin');
  assert.equal(link.size, big.length);
  const whole = await client.readResource({ uri: link.uri });
  assert.ok(Buffer.from(whole.contents[0].blob, 'base64').equals(big), 'resources/read returns the whole object');
  console.log(`# get_object of a ${big.length}-byte object (1 MiB inline): ${ms.toFixed(1)} ms`);

  // Exactly 1 MiB is still inline, whole.
  const exact = randomBytes(MiB);
  await tool(client, 'put_object', { key: 'big/exact.bin', content_base64: exact.toString('base64') });
  const e = await tool(client, 'get_object', { key: 'big/exact.bin' });
  assert.equal(e.truncated, false);
  assert.ok(Buffer.from(e.content, 'base64').equals(exact));

  // Truncated text is cut on a character boundary.
  const text = '€'.repeat(Math.ceil(MiB / 3) + 10);
  await tool(client, 'put_object', { key: 'big/text.txt', content: text });
  const t = await tool(client, 'get_object', { key: 'big/text.txt' });
  assert.equal(t.encoding, 'text');
  assert.equal(t.truncated, true);
  assert.ok(text.startsWith(t.content) && Buffer.byteLength(t.content) <= MiB && Buffer.byteLength(t.content) > MiB - 3);
});

test('empty objects, resources/read by URI, and precise errors', async () => {
  await tool(client, 'put_object', { key: 'empty.txt', content: '' });
  const e = await tool(client, 'get_object', { key: 'empty.txt' });
  assert.equal(e.content, '');
  assert.equal(e.size, 0);
  const read = await client.readResource({ uri: 'r2://objects/empty.txt' });
  assert.equal(read.contents[0].text, '');
  await assert.rejects(client.readResource({ uri: 'r2://objects/nope.txt' }), /not found/i);
  assert.match(await toolError(client, 'put_object', { key: 'x', content: 'a', content_base64: 'YQ==' }), /exactly one/);
  assert.match(await toolError(client, 'put_object', { key: '../x', content: 'a' }), /Invalid key/);
  assert.match(await toolError(client, 'get_object', { key: 'missing/key' }), /Object not found: "missing\/key"/);
  const tooBig = 'x'.repeat(10 * 1024 * 1024 + 1);
  assert.match(await toolError(client, 'put_object', { key: 'huge.txt', content: tooBig }), /limit is 10485760 bytes/);
});
