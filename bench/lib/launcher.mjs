/**
 * Starts one system under `wrangler dev` (workerd through Miniflare, the same launcher and log level
 * for all three), in its own process group so it can be stopped whole; finds its workerd processes.
 * Every group started is remembered so `stopAll()` can end them on failure or Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { workerdPids } from './proc.mjs';

const live = new Set();

// One free-port helper for the tests and the bench (used here too, so imported, then re-exported).
import { freePort } from '../../tests/support/stack.mjs';

export { freePort };

const canConnect = (port) => new Promise((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {object} o
 * @param {string} o.root  the repository root (for node_modules/wrangler)
 * @param {string} o.config  wrangler config path
 * @param {number} o.port
 * @param {string} o.persistDir
 * @param {Record<string,string>} o.vars
 * @param {string} o.logFile
 * @param {string} o.logLevel
 */
export async function startWrangler({ root, config, port, persistDir, vars, logFile, logLevel }) {
  const inspector = await freePort();
  const args = [
    path.join(root, 'node_modules/wrangler/bin/wrangler.js'), 'dev',
    '--config', config, '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspector), '--persist-to', persistDir,
    '--log-level', logLevel, '--show-interactive-dev-session=false',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  const fd = openSync(logFile, 'a');
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: path.dirname(config), detached: true, stdio: ['ignore', fd, fd],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1', FORCE_COLOR: '0' },
  });
  closeSync(fd);
  live.add(child.pid);
  let exited = false;
  child.on('exit', () => { exited = true; live.delete(child.pid); });
  const handle = {
    pid: child.pid,
    t0,
    url: `http://127.0.0.1:${port}`,
    get exited() { return exited; },
    /** The workerd processes serving this system (rediscovered: workerd may be restarted). */
    pids: () => workerdPids(child.pid),
    async waitForPort(timeoutMs = 120000) {
      const end = performance.now() + timeoutMs;
      while (performance.now() < end) {
        if (exited) throw new Error(`wrangler dev exited early; see ${logFile}`);
        if (await canConnect(port)) return;
        await sleep(50);
      }
      throw new Error(`wrangler dev did not listen on ${port} in ${timeoutMs} ms; see ${logFile}`);
    },
    async stop() {
      if (exited) return;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      for (let i = 0; i < 100 && !exited; i++) await sleep(50);
      if (!exited) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 40 && !exited; i++) await sleep(50);
      live.delete(child.pid);
    },
  };
  return handle;
}

/** Ends every process group still running (sync, usable from exit handlers). */
export function stopAll() {
  for (const pid of live) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
  live.clear();
}
