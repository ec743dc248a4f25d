/**
 * Unicode-equivalent keys are one object (issue: "Unicode-equivalent keys are one object"). R2
 * NFC-normalizes keys before storing them, so `café` written with U+00E9 and with `e` + U+0301 is
 * one object in production; the local R2 keeps two. The server puts every key, prefix and
 * `r2://objects/` URI in NFC before anything else, so it behaves as production does whatever the
 * simulator does: these specs fail against a server that passes keys through (with the local R2:
 * two objects, a move that "succeeds", a notification that never comes), and pass now.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startStack } from '../support/stack.mjs';
import { connect, devToken, tool, toolError } from '../support/mcp-tools.mjs';

const NFC = 'caf\u00e9/men\u00fc.txt'; // é and ü precomposed
const NFD = 'cafe\u0301/menu\u0308.txt'; // e and u with combining marks
assert.notEqual(NFC, NFD);
assert.equal(NFD.normalize('NFC'), NFC);

let stack;
let client;
before(async () => {
  stack = await startStack({ vars: { DEV_MODE: '1' } });
  client = await connect(stack.url, await devToken(stack.url, 'unicode@example.com'));
});
after(async () => {
  await client?.close();
  await stack?.close();
});

test('both spellings name one object: written as one, read, listed and deleted as one', async () => {
  await tool(client, 'put_object', { key: NFD, content: 'first' });
  const viaNfc = await tool(client, 'get_object', { key: NFC });
  assert.equal(viaNfc.content, 'first');
  assert.equal(viaNfc.key, NFC, 'the key comes back in NFC');
  await tool(client, 'put_object', { key: NFC, content: 'second' });
  assert.equal((await tool(client, 'get_object', { key: NFD })).content, 'second', 'the second put replaced the first');
  const listed = await tool(client, 'list_objects', { prefix: 'cafe\u0301/' });
  assert.deepEqual(listed.objects.map((o) => o.key), [NFC], 'one object, listed under either spelling of its prefix');
  const del = await tool(client, 'delete_object', { keys: [NFC, NFD] });
  assert.deepEqual(del.deleted, [NFC], 'deleted once');
  assert.equal((await tool(client, 'list_objects', { prefix: 'caf\u00e9/' })).objects.length, 0);
});

test('move and copy between two spellings of one key are refused and change nothing', async () => {
  const put = await tool(client, 'put_object', { key: NFC, content: 'keep me' });
  for (const name of ['move_object', 'copy_object']) {
    const e = await toolError(client, name, { source_key: NFC, destination_key: NFD });
    assert.match(e, /same object/, name);
  }
  const after = await tool(client, 'head_object', { key: NFC });
  assert.equal(after.etag, put.etag, 'the object is untouched');
  assert.equal((await tool(client, 'get_object', { key: NFC })).content, 'keep me');
});

test('create-only on the other spelling of an existing key is refused', async () => {
  await tool(client, 'put_object', { key: 'naïve.md', content: 'exists' });
  const e = await toolError(client, 'put_object', { key: 'nai\u0308ve.md', content: 'clobber', if_none_match: '*' });
  assert.match(e, /already exists|Precondition failed/);
  assert.equal((await tool(client, 'get_object', { key: 'naïve.md' })).content, 'exists');
});

test('a subscription to either spelling hears a change made through the other, and the audit trail has one key', async () => {
  const updates = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
  const key = 'r\u00e9sum\u00e9.txt';
  await tool(client, 'put_object', { key, content: 'v1' });
  await client.subscribeResource({ uri: `r2://objects/${encodeURIComponent('re\u0301sume\u0301.txt')}` });
  // The GET stream carries notifications: give the SDK a moment to open it.
  await new Promise((r) => setTimeout(r, 500));
  await tool(client, 'put_object', { key, content: 'v2' });
  for (let i = 0; i < 50 && updates.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(updates, [`r2://objects/${encodeURIComponent(key).replace(/%2F/g, '/')}`]);
  const changes = await tool(client, 'recent_changes', { limit: 2 });
  assert.ok(changes.changes.every((c) => c.keys.every((k) => k === k.normalize('NFC'))), JSON.stringify(changes.changes));
});
