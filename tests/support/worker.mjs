/**
 * Runs the built Worker (build/) in the real workerd runtime through Miniflare, with the bindings that
 * wrangler.toml declares (Durable Objects with SQLite, R2, vars) and local, optionally persisted state.
 *
 * `startWorker()` resolves once the Worker answers; `restart()` stops the runtime and starts a fresh
 * one on the same persisted state and port, which is how tests prove that state outlives a restart.
 */
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * @param {object} opts
 * @param {Record<string,string>} opts.vars  settings and secrets, as `.dev.vars` would give them
 * @param {string} [opts.persistDir]  where R2/DO/KV state lives; in memory when absent
 * @param {number} [opts.port]  0 picks a free port
 * @param {(line: string) => void} [opts.onLog]  receives the Worker's console output
 * @param {string} [opts.buildDir]  the build to run (default build/)
 * @param {number} [opts.inspectorPort]  open workerd's V8 inspector on this port (profiling)
 */
export async function startWorker({ vars = {}, persistDir, port = 0, onLog, buildDir = path.join(ROOT, 'build'), inspectorPort } = {}) {
  const ENTRY = path.join(buildDir, 'index.js');
  const WASM = path.join(buildDir, 'index_bg.wasm');
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run scripts/build first`);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, 'wrangler.toml'));

  let currentVars = vars;
  const make = (listenPort) =>
    new Miniflare(convertV4MiniflareOptions({
      workers: [
        {
          ...workerOptions,
          name: 'r2-mcp',
          modulesRoot: path.dirname(ENTRY),
          modules: [
            { type: 'ESModule', path: ENTRY },
            { type: 'CompiledWasm', path: WASM },
          ],
          bindings: { ...(workerOptions.bindings ?? {}), ...currentVars },
          // The static assets (the MCP App's page) of the build being run.
          ...(workerOptions.assets ? { assets: { ...workerOptions.assets, directory: path.join(buildDir, 'assets') } } : {}),
        },
      ],
      host: '127.0.0.1',
      port: listenPort,
      ...(inspectorPort ? { inspectorPort } : {}),
      resourcePersistencePath: persistDir,
      // The Worker's own log lines go to `onLog` when a test asks for them, to the console with
      // R2MCP_SHOW_WORKER_LOGS=1, and nowhere otherwise (they would drown the test report).
      handleStructuredLogs: ({ message }) => {
        for (const l of String(message).split('\n')) {
          if (onLog) onLog(l);
          else if (process.env.R2MCP_SHOW_WORKER_LOGS === '1') console.log(l);
        }
      },
    }));

  let mf = make(port);
  let url = await mf.ready;
  let running = true;
  const actualPort = Number(url.port);

  return {
    get url() {
      return url.origin;
    },
    get port() {
      return actualPort;
    },
    /** Stops workerd and starts it again on the same state and port (with `vars` changed, if given:
     *  a redeploy with new settings). */
    async restart({ vars: changed } = {}) {
      if (changed) currentVars = { ...currentVars, ...changed };
      if (running) await mf.dispose();
      mf = make(actualPort);
      url = await mf.ready;
      running = true;
    },
    /** The `BUCKET` R2 binding, to change objects behind the server's back (as another tool would). */
    async bucket() {
      return mf.getR2Bucket('BUCKET');
    },
    /** Stops workerd (`restart()` starts it again, on the same state and port). */
    async close() {
      if (running) await mf.dispose();
      running = false;
    },
  };
}
