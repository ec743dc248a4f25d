/**
 * Deployment: `scripts/deploy --dry-run` bundles the Worker exactly as `wrangler deploy` would,
 * with its Durable Object, R2 and static-assets bindings, and the compressed upload stays within
 * the size budget. The MCP App's page goes into the static assets, never into the wasm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { ROOT } from '../support/worker.mjs';

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
