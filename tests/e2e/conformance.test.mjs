/**
 * The official `@modelcontextprotocol/conformance` server suite (pinned in package.json) against
 * the Worker in workerd with `MCP_CONFORMANCE=1`, through a loopback proxy that adds a dev
 * token (the runner cannot send an Authorization header). `--suite all` includes the pending
 * scenarios (SSE polling, JSON Schema 2020-12). Every scenario must pass.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startWorker, ROOT } from '../support/worker.mjs';
import { baseVars } from '../support/vars.mjs';
import { devToken } from '../support/tokens.mjs';
import { bearerProxy } from '../support/mcp.mjs';

const RUNNER = path.join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

let worker;
let proxy;

before(async () => {
  worker = await startWorker({ vars: baseVars({ DEV_MODE: '1', MCP_CONFORMANCE: '1' }) });
  const { access_token } = await devToken(worker.url, 'conformance@example.com');
  proxy = await bearerProxy(worker.url, access_token);
});

after(async () => {
  await proxy?.close();
  await worker?.close();
});

function runSuite(url) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, 'server', '--url', url, '--suite', 'all'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('every scenario of the conformance server suite passes', { timeout: 600_000 }, async () => {
  const { code, out } = await runSuite(`${proxy.url}/mcp`);
  const m = out.match(/Total:\s*(\d+)\s*passed,\s*(\d+)\s*failed/);
  assert.ok(m, `no totals in the runner output:\n${out.slice(-4000)}`);
  const [passed, failed] = [Number(m[1]), Number(m[2])];
  test.diagnostic?.(`conformance: ${passed} passed, ${failed} failed`);
  console.log(`conformance: ${passed} passed, ${failed} failed`);
  assert.equal(failed, 0, out.slice(-6000));
  assert.ok(passed >= 40, `expected the whole suite to run, got ${passed} scenarios`);
  assert.equal(code, 0);
});
