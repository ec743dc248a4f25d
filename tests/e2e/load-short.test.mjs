/**
 * A shortened sustained load (the full one is `scripts/load`): 2,000 authenticated requests at
 * concurrency 16 across 4 users (one logged in through the real OAuth flow), mixing reads, writes
 * (own keys and if_match appends to one contended key per user) and new sessions, against the
 * Worker in workerd on persisted state. No 5xx, no transport error, no lost write, and the audit
 * trail holds every acknowledged write exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad, formatSummary } from '../load/run.mjs';

test('2,000 requests at concurrency 16 across 4 users: no 5xx, no lost write, audit complete', { timeout: 240_000 }, async () => {
  const s = await runLoad({ requests: 2000, concurrency: 16, users: 4, seconds: 180, idleSeconds: 2, log: (l) => console.log(l) });
  for (const line of formatSummary(s).split('\n')) console.log(`# ${line}`);
  assert.equal(s.complete, true, `the load ran to the end (${s.requests} of ${s.requested})`);
  assert.equal(s.http5xx, 0, 'no 5xx');
  assert.equal(s.transportErrors, 0, 'no transport error');
  assert.equal(s.unexpected, 0, `no unexpected answer: ${s.failures.join('\n')}`);
  assert.equal(s.lostWrites, 0, `no lost write: ${s.failures.join('\n')}`);
  assert.equal(s.auditWithoutAck, 0, 'no audit row without an acknowledged write');
  assert.equal(s.auditRows, s.ackedWrites, 'one audit row per acknowledged write');
  assert.ok(s.ackedWrites > 200, `writes happened (${s.ackedWrites})`);
  assert.ok(s.ops.append > 0 && s.ops.session > 0 && s.ops.get > 0 && s.ops.list > 0, JSON.stringify(s.ops));
  assert.ok(s.memory.rssBeforeKiB > 0, 'the workerd process was found and sampled');
  assert.ok(s.memory.wasmAfterBytes > 0, '/_dev/metrics answered');
  assert.deepEqual(s.failures, []);
});
