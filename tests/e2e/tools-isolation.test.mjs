/**
 * R2 tools, isolation: user B never sees, lists, reads, completes or changes user A's objects,
 * whatever the key spelling (`..`, leading `/`, percent-encoded, look-alike characters, or A's
 * full R2 key with A's user key), through tools and resources alike.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken, connect, tool } from '../support/mcp-tools.mjs';

let worker;
let stateDir;
let alice;
let bob;
let aliceKey;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-tools-iso-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
  const ta = await devToken(worker.url, 'alice@example.com');
  aliceKey = ta.split(':')[0];
  alice = await connect(worker.url, ta, 'alice-agent');
  bob = await connect(worker.url, await devToken(worker.url, 'bob@example.com'), 'bob-agent');
  await tool(alice, 'put_object', { key: 'secret/plan.txt', content: 'alice only' });
  await tool(alice, 'put_object', { key: 'top.txt', content: 'alice top' });
});

after(async () => {
  await alice?.close();
  await bob?.close();
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const spellings = () => [
  'secret/plan.txt',
  `u/${aliceKey}/secret/plan.txt`,
  `../${aliceKey}/secret/plan.txt`,
  `../../u/${aliceKey}/secret/plan.txt`,
  `/u/${aliceKey}/secret/plan.txt`,
  `%2e%2e/${aliceKey}/secret/plan.txt`,
  `%2E%2E%2F${aliceKey}%2Fsecret%2Fplan.txt`,
  `%252e%252e/${aliceKey}/secret/plan.txt`,
  `\\u\\${aliceKey}\\secret\\plan.txt`,
  `\uFF0E\uFF0E/${aliceKey}/secret/plan.txt`,
  `\u2215u\u2215${aliceKey}/secret/plan.txt`,
  `%c0%ae%c0%ae/${aliceKey}/secret/plan.txt`,
  `a/./../../${aliceKey}/secret/plan.txt`,
];

test('B lists nothing of A, with any prefix', async () => {
  for (const prefix of [undefined, '', 'secret/', `u/${aliceKey}/`, '../', '/', '%2e%2e/', `../${aliceKey}/`]) {
    const r = await bob.callTool({ name: 'list_objects', arguments: prefix === undefined ? {} : { prefix } });
    if (r.isError) continue; // refused spellings are fine
    assert.deepEqual(r.structuredContent.objects, [], `prefix ${prefix}`);
    assert.deepEqual(r.structuredContent.folders, [], `prefix ${prefix}`);
  }
  const res = await bob.listResources();
  assert.equal(res.resources.filter((x) => x.uri.startsWith('r2://objects/')).length, 0);
  const comp = await bob.complete({ ref: { type: 'ref/resource', uri: 'r2://objects/{+key}' }, argument: { name: 'key', value: '' } });
  assert.deepEqual(comp.completion.values, []);
});

test('B cannot read or head A’s objects by any spelling', async () => {
  for (const key of spellings()) {
    for (const name of ['get_object', 'head_object']) {
      const r = await bob.callTool({ name, arguments: { key } });
      assert.equal(r.isError, true, `${name} ${key}`);
      assert.doesNotMatch(r.content[0].text, /alice only/);
    }
    const uri = `r2://objects/${key}`;
    await assert.rejects(bob.readResource({ uri }), undefined, uri);
  }
});

test('B’s writes and deletes by any spelling never touch A’s objects', async () => {
  for (const key of spellings()) {
    await bob.callTool({ name: 'put_object', arguments: { key, content: 'bob was here' } });
    await bob.callTool({ name: 'delete_object', arguments: { key } });
    await bob.callTool({ name: 'copy_object', arguments: { source_key: key, destination_key: 'stolen.txt' } });
    await bob.callTool({ name: 'move_object', arguments: { source_key: key, destination_key: 'stolen2.txt' } });
  }
  await bob.callTool({ name: 'delete_object', arguments: { keys: spellings() } });
  const a = await tool(alice, 'get_object', { key: 'secret/plan.txt' });
  assert.equal(a.content, 'alice only');
  const mine = await tool(alice, 'list_objects', {});
  assert.deepEqual(mine.objects.map((o) => o.key).sort(), ['secret/plan.txt', 'top.txt']);
  const aliceAudit = await tool(alice, 'recent_changes', {});
  assert.ok(aliceAudit.changes.every((c) => c.client === 'alice-agent'), 'A’s trail holds only A’s writes');
  const bobsOwn = await tool(bob, 'list_objects', {});
  for (const o of bobsOwn.objects) {
    assert.ok(!o.key.split('/').includes('..') && !o.key.startsWith('/'), o.key);
    const c = await tool(bob, 'get_object', { key: o.key });
    assert.notEqual(c.content, 'alice only', `${o.key}: nothing of A was copied into B`);
  }
});
