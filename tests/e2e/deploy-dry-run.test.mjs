/**
 * Deployment: `scripts/deploy --dry-run` bundles the Worker exactly as `wrangler deploy` would,
 * with its Durable Object, R2 and static-assets bindings, and the compressed upload stays within
 * the size budget. The MCP App's page goes into the static assets, never into the wasm. The deploy
 * build holds no `/_dev/` diagnostics: even with DEV_MODE=1 on loopback it serves none, while it
 * logs a user in and serves the tools like the test build.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { ROOT } from '../support/worker.mjs';
import { startStack } from '../support/stack.mjs';
import { login } from '../support/oauth-client.mjs';
import { connectClient } from '../support/mcp.mjs';

test('the deploy bundle builds with every binding and within the size budget', async () => {
  const { stdout } = await promisify(execFile)(path.join(ROOT, 'scripts/deploy'), ['--dry-run'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  for (const binding of ['env.USER_OBJECT (UserObject)', 'env.CLIENT_REGISTRY (ClientRegistry)', 'env.BUCKET (r2-mcp-objects)', 'env.ASSETS']) {
    assert.ok(stdout.includes(binding), binding);
  }
  const m = stdout.match(/wasm (\d+) KB gzip \(budget (\d+) KB\)/);
  assert.ok(m, stdout.slice(-500));
  assert.ok(Number(m[1]) <= Number(m[2]), `wasm ${m[1]} KB gzip over budget ${m[2]} KB`);
  const upload = path.join(ROOT, 'build-deploy/upload');
  const wasm = readFileSync(path.join(upload, readdirSync(upload).find((f) => f.endsWith('.wasm'))));
  const page = readFileSync(path.join(ROOT, 'build-deploy/assets/ui/browser.html'), 'utf8');
  assert.ok(page.startsWith('<!doctype html>') && page.includes('r2-object-browser'), 'the page is in the static assets');
  assert.equal(wasm.includes('r2-object-browser'), false, 'and not in the wasm');
  assert.match(stdout, /static assets \(not in the Worker bundle\): \d+ B/);
});

test('the deploy build serves no /_dev/ route, even with DEV_MODE=1 on loopback, and serves the tools', async (t) => {
  const dev = await startStack();
  const deployed = await startStack({ buildDir: path.join(ROOT, 'build-deploy') });
  t.after(() => Promise.all([dev.close(), deployed.close()]));
  const token = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'dev@example.com' }) };
  // The test build (the `dev` feature) answers them: the same requests are meaningful.
  assert.equal((await fetch(`${dev.url}/_dev/metrics`)).status, 200);
  assert.equal((await fetch(`${dev.url}/_dev/token`, token)).status, 200);
  for (const [route, init] of [['/_dev/metrics', {}], ['/_dev/token', token], ['/_dev/do/someone/hits', { method: 'POST' }], ['/_dev/registry/x/rows', {}]]) {
    const r = await fetch(`${deployed.url}${route}`, init);
    assert.equal(r.status, 404, route);
    assert.equal((await r.json()).error, 'not_found', route);
  }
  const provider = await login(deployed.mcpUrl);
  const { client } = await connectClient(deployed.url, provider.tokens().access_token);
  t.after(() => client.close());
  const { tools } = await client.listTools();
  assert.ok(tools.some((x) => x.name === 'list_objects'));
  // Nor the conformance fixtures: asking for them is a configuration error that says which build has them.
  await deployed.worker.restart({ vars: { MCP_CONFORMANCE: '1' } });
  const r = await fetch(`${deployed.url}/`);
  assert.equal(r.status, 500);
  assert.match((await r.json()).error_description, /MCP_CONFORMANCE needs a build with the conformance fixtures/);
});
