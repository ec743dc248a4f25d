/**
 * Foundation: the compiled Worker runs in workerd, routes to a Durable Object chosen by name, that
 * object answers from its SQLite storage, the state survives a runtime restart, and `/mcp` is never
 * served without authentication.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';

let worker;
let stateDir;

before(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'r2mcp-foundation-'));
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1' }), persistDir: stateDir });
});

after(async () => {
  await worker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const hit = (name, method = 'POST') =>
  fetch(`${worker.url}/_dev/do/${name}/hits`, { method }).then(async (r) => {
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()).value;
  });

test('a request reaches the Durable Object named in it, which answers from SQLite', async () => {
  assert.equal(await hit('alice'), 1);
  assert.equal(await hit('alice'), 2);
  assert.equal(await hit('bob'), 1, 'another name is another object with its own storage');
  assert.equal(await hit('alice', 'GET'), 2);
});

test('Durable Object state survives a restart of the runtime', async () => {
  const before = await hit('carol');
  await worker.restart();
  assert.equal(await hit('carol', 'GET'), before);
  assert.equal(await hit('carol'), before + 1);
});

test('/mcp without a token answers 401 with the protected-resource metadata URL', async () => {
  for (const method of ['GET', 'POST', 'DELETE']) {
    const r = await fetch(`${worker.url}/mcp`, { method });
    assert.equal(r.status, 401, method);
    const challenge = r.headers.get('www-authenticate');
    assert.match(challenge, /^Bearer /);
    assert.ok(
      challenge.includes(`resource_metadata="${worker.url}/.well-known/oauth-protected-resource/mcp"`),
      challenge,
    );
  }
});

test('dev routes are absent unless DEV_MODE is on', async () => {
  const prod = await startWorker({ vars: baseVars({ DEV_MODE: '0' }) });
  try {
    const r = await fetch(`${prod.url}/_dev/do/alice/hits`, { method: 'POST' });
    assert.equal(r.status, 404);
  } finally {
    await prod.close();
  }
});

test('a missing setting answers an error that names it', async () => {
  const vars = baseVars();
  delete vars.ACCESS_CLIENT_ID;
  const broken = await startWorker({ vars });
  try {
    const r = await fetch(`${broken.url}/mcp`);
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.equal(body.error, 'server_error');
    assert.match(body.error_description, /ACCESS_CLIENT_ID/);
  } finally {
    await broken.close();
  }
});
