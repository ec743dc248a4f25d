/**
 * Deployment: `scripts/deploy --dry-run` bundles the Worker exactly as `wrangler deploy` would,
 * with its Durable Object and R2 bindings, and the compressed upload stays within the size budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { ROOT } from '../support/worker.mjs';

test('the deploy bundle builds with every binding and within the size budget', async () => {
  const { stdout } = await promisify(execFile)(path.join(ROOT, 'scripts/deploy'), ['--dry-run'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  for (const binding of ['env.USER_OBJECT (UserObject)', 'env.CLIENT_REGISTRY (ClientRegistry)', 'env.BUCKET (r2-mcp-objects)']) {
    assert.ok(stdout.includes(binding), binding);
  }
  const m = stdout.match(/wasm (\d+) KB gzip \(budget (\d+) KB\)/);
  assert.ok(m, stdout.slice(-500));
  assert.ok(Number(m[1]) <= Number(m[2]), `wasm ${m[1]} KB gzip over budget ${m[2]} KB`);
});
