/**
 * "best-JS" of scripts/bench: the same R2 MCP server as bench/baseline, built the way Cloudflare's
 * Agents SDK documents it today (agents 0.32.0, docs/mcp-servers.md: "McpAgent is feature-frozen.
 * Migrate to an SDK v2 factory with createMcpHandler from agents/mcp/server"):
 *
 * - `@cloudflare/workers-oauth-provider` wraps the Worker (metadata, registration, token, the bearer
 *   check on /mcp; grants in KV), with the same upstream OIDC login as the baseline
 *   (access-handler.ts, a copy of the baseline's);
 * - `createMcpHandler` from `agents/mcp/server` serves /mcp from the Worker, statelessly: a fresh
 *   MCP SDK v2 `McpServer` from the factory for each request, no session, no event store, no
 *   Durable Object on the request path. 2025-era clients (initialize + Mcp-Session-Id) are served by
 *   its stateless compatibility lane: no `Mcp-Session-Id` is issued, GET /mcp is 405;
 * - the user (the grant's props) reaches the tools through `getMcpAuthContext()`;
 * - one Durable Object per user (writes.ts) orders that user's writes and keeps the audit trail
 *   `recent_changes` reads; reads go from the Worker straight to R2.
 */
import OAuthProvider from '@cloudflare/workers-oauth-provider';
import { McpServer } from '@modelcontextprotocol/server';
import { createMcpHandler } from 'agents/mcp/server';
import { handleAccessRequest } from './access-handler';
import { registerR2Tools } from './tools';

export { UserWrites } from './writes';

export interface Env {
  OAUTH_KV: KVNamespace;
  USER_WRITES: DurableObjectNamespace<import('./writes').UserWrites>;
  BUCKET: R2Bucket;
  ACCESS_ISSUER: string;
  ACCESS_CLIENT_ID: string;
  ACCESS_CLIENT_SECRET: string;
  PUBLIC_URL: string;
}

function createServer() {
  const server = new McpServer({ name: 'r2-mcp-best-js', version: '1.0.0' });
  registerR2Tools(server);
  return server;
}

/** Created once per isolate; it takes a new server from the factory for every request. */
const mcpHandler = createMcpHandler(createServer);

let provider: OAuthProvider<Env> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    // resourceMetadata needs this server's own URL, which is only known from its settings.
    provider ??= new OAuthProvider<Env>({
      apiRoute: '/mcp',
      // OAuthProvider wants an object with fetch; the handler reads the grant's props from ctx.
      apiHandler: { fetch: (req: Request, e: Env, c: ExecutionContext) => mcpHandler(req, e, c) },
      defaultHandler: { fetch: handleAccessRequest as any },
      authorizeEndpoint: '/authorize',
      tokenEndpoint: '/token',
      clientRegistrationEndpoint: '/register',
      allowPlainPKCE: false,
      resourceMetadata: { resource: `${env.PUBLIC_URL}/mcp` },
    } as any);
    return provider.fetch(request, env, ctx);
  },
};
