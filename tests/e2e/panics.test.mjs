/**
 * Panics are contained: a panic in the front Worker or in one user's Durable Object fails that one
 * request with a 500, the runtime re-creates the wasm instance, and every later request — that
 * user's and everyone else's — is served with all stored state intact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';

let worker;
before(async () => {
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }) });
});
after(async () => {
  await worker?.close();
});

const hit = async (name, method = 'POST') => {
  const r = await fetch(`${worker.url}/_dev/do/${name}/hits`, { method });
  assert.equal(r.status, 200);
  return (await r.json()).value;
};

test('a panic in one user object fails one request; that object and the others keep their state', async () => {
  await hit('victim');
  await hit('victim');
  await hit('bystander');
  const r = await fetch(`${worker.url}/_dev/do/victim/panic`, { method: 'POST' });
  assert.equal(r.status, 500);
  assert.equal((await r.json()).error, 'server_error');
  assert.equal(await hit('bystander', 'GET'), 1, 'another user is unaffected');
  assert.equal(await hit('victim', 'GET'), 2, 'the panicking object restarts with its storage');
  assert.equal(await hit('victim'), 3);
});

test('a panic in the front Worker fails one request; the next ones are served', async () => {
  const r = await fetch(`${worker.url}/_dev/panic`, { method: 'POST' }).catch((e) => e);
  assert.ok(r instanceof Error || r.status >= 500, 'the panicking request fails');
  for (let i = 0; i < 5; i++) {
    const ok = await fetch(`${worker.url}/.well-known/oauth-protected-resource`);
    assert.equal(ok.status, 200);
  }
  assert.equal(await hit('bystander', 'GET'), 1);
});
