/**
 * The JS baseline of scripts/bench: an R2 MCP server built the way Cloudflare's remote-MCP Access
 * demo is — `@cloudflare/workers-oauth-provider` wraps the Worker (metadata, registration, token,
 * bearer check on /mcp), `agents`' McpAgent serves MCP on a Durable Object (one per session), and the
 * login is delegated to the upstream OpenID Provider (see access-handler.ts).
 *
 * The tools mirror the server's (durable/src/mcp/tools.json): same names, same argument names, same
 * result shapes, each user's keys under their own prefix.
 */
import OAuthProvider from '@cloudflare/workers-oauth-provider';
import { McpAgent } from 'agents/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { handleAccessRequest } from './access-handler';
import { registerR2Tools, type Props } from './tools';

export interface Env {
  OAUTH_KV: KVNamespace;
  MCP_OBJECT: DurableObjectNamespace;
  BUCKET: R2Bucket;
  ACCESS_ISSUER: string;
  ACCESS_CLIENT_ID: string;
  ACCESS_CLIENT_SECRET: string;
  PUBLIC_URL: string;
}

export class R2Mcp extends McpAgent<Env, Record<string, never>, Props> {
  server = new McpServer({ name: 'r2-mcp-baseline', version: '1.0.0' });

  async init() {
    registerR2Tools(this.server, () => this.env.BUCKET, () => this.props!);
  }
}

const mcp = R2Mcp.serve('/mcp');

let provider: OAuthProvider<Env> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    // resourceMetadata needs this server's own URL, which is only known from its settings.
    provider ??= new OAuthProvider<Env>({
      apiRoute: '/mcp',
      apiHandler: mcp as any,
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
