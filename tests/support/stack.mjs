/**
 * The whole local stack for end-to-end specs: a local OpenID Provider standing in for Access for
 * SaaS (the real `oidc-provider`, or the rogue one for id_token attacks) and the compiled Worker in
 * workerd pointing at it, on free loopback ports. `close()` stops both.
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startWorker } from './worker.mjs';
import { baseVars } from './vars.mjs';
import { startIdp } from './idp.mjs';
import { startRogueIdp } from './rogue-idp.mjs';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * @param {object} [opts]
 * @param {'real'|'rogue'} [opts.idp]  which upstream provider
 * @param {object} [opts.idpOptions]  passed to startIdp / startRogueIdp
 * @param {Record<string,string>} [opts.vars]  extra Worker settings
 * @param {boolean} [opts.persist]  keep Worker state on disk (for restart tests)
 * @param {string} [opts.buildDir]  the build to run (default build/, the test build)
 */
export async function startStack({ idp = 'real', idpOptions = {}, vars = {}, persist = false, onLog, buildDir } = {}) {
  const workerPort = await freePort();
  const clientId = 'mcp-e2e';
  const clientSecret = randomBytes(16).toString('hex');
  const redirect = `http://127.0.0.1:${workerPort}/callback`;
  const clients = [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirect], token_endpoint_auth_method: 'client_secret_basic' }];
  const provider = idp === 'rogue' ? await startRogueIdp({ clients, ...idpOptions }) : await startIdp({ clients, ...idpOptions });
  const stateDir = persist ? mkdtempSync(path.join(tmpdir(), 'r2mcp-stack-')) : undefined;
  let worker;
  try {
    worker = await startWorker({
      port: workerPort,
      persistDir: stateDir,
      onLog,
      ...(buildDir ? { buildDir } : {}),
      vars: baseVars({
        ACCESS_ISSUER: provider.issuer,
        ACCESS_CLIENT_ID: clientId,
        ACCESS_CLIENT_SECRET: clientSecret,
        DEV_MODE: '1',
        ...vars,
      }),
    });
  } catch (e) {
    await provider.close();
    throw e;
  }
  return {
    idp: provider,
    worker,
    url: worker.url,
    mcpUrl: `${worker.url}/mcp`,
    /** Where the persisted state lives (with `persist`), e.g. to count Durable Object databases. */
    stateDir,
    async close() {
      await worker.close().catch(() => {});
      await provider.close().catch(() => {});
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
