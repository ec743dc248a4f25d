/**
 * Helpers for driving `/mcp` in end-to-end tests: an SDK client with a bearer token, raw
 * JSON-RPC POSTs, an SSE reader, and a loopback proxy that adds the bearer token (for tools,
 * such as the conformance runner, that cannot send one).
 */
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** An SDK client connected to `<baseUrl>/mcp` with `Authorization: Bearer <token>`. */
export async function connectClient(baseUrl, token, { capabilities = {}, sessionId, reconnectionOptions } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    sessionId,
    reconnectionOptions,
  });
  const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return { client, transport };
}

export const LATEST = '2025-11-25';
export const MODERN = '2026-07-28';

/** A JSON-RPC request body. */
export function rpc(method, params = {}, id = 1) {
  return { jsonrpc: '2.0', id, method, params };
}

/** A 2026-07-28 request body with the required `_meta`. */
export function modernRpc(method, params = {}, id = 1, caps = {}) {
  return rpc(method, {
    ...params,
    _meta: {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': caps,
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      ...(params._meta ?? {}),
    },
  }, id);
}

/** POST a body (object → JSON, string as is) to /mcp with the bearer token and extra headers. */
export function post(baseUrl, token, body, headers = {}) {
  return fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Starts a session with raw requests; returns its id. */
export async function rawSession(baseUrl, token, version = LATEST, capabilities = {}) {
  const r = await post(baseUrl, token, rpc('initialize', {
    protocolVersion: version,
    capabilities,
    clientInfo: { name: 'raw', version: '1' },
  }));
  if (r.status !== 200) throw new Error(`initialize answered ${r.status}: ${await r.text()}`);
  const sessionId = r.headers.get('mcp-session-id');
  await r.body?.cancel();
  const n = await post(baseUrl, token, { jsonrpc: '2.0', method: 'notifications/initialized' }, {
    'Mcp-Session-Id': sessionId,
    'MCP-Protocol-Version': version,
  });
  if (n.status !== 202) throw new Error(`initialized answered ${n.status}`);
  return sessionId;
}

/** Parses one SSE block into `{id, event, data, retry}`; null for comment-only blocks. */
function parseBlock(block) {
  const ev = { data: '' };
  const data = [];
  let hasField = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    const val = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
    hasField = true;
    if (field === 'data') data.push(val);
    else ev[field] = val;
  }
  if (!hasField) return null;
  ev.data = data.join('\n');
  return ev;
}

/**
 * Collects SSE events (comments skipped) until `until(event)` returns true, the stream ends, or
 * `ms` pass; then cancels the body.
 */
export async function readEvents(response, until = () => false, ms = 5000) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events = [];
  const timer = setTimeout(() => reader.cancel().catch(() => {}), ms);
  let buf = '';
  try {
    outer: for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = parseBlock(buf.slice(0, i));
        buf = buf.slice(i + 2);
        if (!ev) continue;
        events.push(ev);
        if (until(ev)) break outer;
      }
    }
  } catch {
    // cancelled by the timer
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return events;
}

/**
 * A loopback HTTP proxy to `target` (an origin) that adds `Authorization: Bearer <token>` and
 * passes everything else through, streaming both ways. The target sees its own host, as a
 * reverse proxy would present it.
 */
export async function bearerProxy(target, token) {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: t.host, authorization: `Bearer ${token}` };
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers },
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://localhost:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
