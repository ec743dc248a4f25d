/**
 * A minimal MCP client over Streamable HTTP for the benchmark: real JSON-RPC, `initialize` once per
 * session with `Mcp-Session-Id` reused after it, `Accept: application/json, text/event-stream`, and
 * SSE answers parsed for the response with the request's id. A stateless server (best-JS) issues no
 * `Mcp-Session-Id`: its sessions are opened with `{ stateless: true }`, send the same three requests
 * to start, and then the `MCP-Protocol-Version` header alone. `stream()` opens the session's GET
 * stream (the idle figure).
 */
import http from 'node:http';
import { request } from './http.mjs';

export const PROTOCOL_VERSION = '2025-06-18';

/** The JSON-RPC response with `id` from a JSON or SSE body; throws when there is none. */
export function parseRpc(res, id) {
  const type = String(res.headers['content-type'] ?? '');
  const text = res.body.toString('utf8');
  if (type.includes('text/event-stream')) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (!data) continue;
      const msg = JSON.parse(data);
      if (msg.id === id) return msg;
    }
    throw new Error(`no response with id ${id} in the SSE stream: ${text.slice(0, 200)}`);
  }
  return JSON.parse(text);
}

export class McpSession {
  /**
   * @param {string} url  the /mcp endpoint
   * @param {() => string|undefined} token  the current access token (may change after a refresh)
   * @param {{stateless?: boolean}} [opts]  stateless: the server issues no Mcp-Session-Id
   */
  constructor(url, token, agent, { stateless = false } = {}) {
    this.url = url;
    this.token = token;
    this.agent = agent;
    this.stateless = stateless;
    this.sessionId = undefined;
    this.opened = false;
    this.nextId = 1;
  }

  headers() {
    const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const t = this.token();
    if (t) h.authorization = `Bearer ${t}`;
    if (this.sessionId) h['mcp-session-id'] = this.sessionId;
    if (this.opened) h['mcp-protocol-version'] = PROTOCOL_VERSION;
    return h;
  }

  async post(message) {
    return request(this.url, { method: 'POST', headers: this.headers(), body: JSON.stringify(message), agent: this.agent });
  }

  /** A request; resolves to its `result`, throws on an HTTP or JSON-RPC error or a tool error. */
  async call(method, params) {
    const id = this.nextId++;
    const res = await this.post({ jsonrpc: '2.0', id, method, params });
    if (res.status !== 200) throw new Error(`${method}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
    const msg = parseRpc(res, id);
    if (msg.error) throw new Error(`${method}: JSON-RPC error ${JSON.stringify(msg.error).slice(0, 200)}`);
    if (msg.result?.isError) throw new Error(`${method}: tool error ${JSON.stringify(msg.result.content).slice(0, 200)}`);
    return { result: msg.result, res };
  }

  async notify(method, params) {
    const res = await this.post({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
    if (res.status !== 202 && res.status !== 200) throw new Error(`${method}: HTTP ${res.status}`);
  }

  /** initialize + notifications/initialized; keeps the session id. */
  async open() {
    this.sessionId = undefined;
    this.opened = false;
    const { result, res } = await this.call('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'r2-mcp-bench', version: '1' },
    });
    const sid = res.headers['mcp-session-id'];
    if (sid) this.sessionId = String(sid);
    else if (!this.stateless) throw new Error('initialize: no Mcp-Session-Id');
    this.opened = true;
    await this.notify('notifications/initialized');
    return result;
  }

  /**
   * Opens this session's GET stream on its own connection (no keep-alive agent: it stays open) and
   * resolves once the server answered 200 with an event stream. The handle counts the SSE events
   * that arrive (`events`, `lastEventAt`) and `close()` ends it.
   */
  stream() {
    const u = new URL(this.url);
    const headers = { ...this.headers(), accept: 'text/event-stream' };
    delete headers['content-type'];
    return new Promise((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', headers, agent: false }, (res) => {
        const type = String(res.headers['content-type'] ?? '');
        if (res.statusCode !== 200 || !type.includes('text/event-stream')) {
          res.resume();
          reject(new Error(`GET stream: HTTP ${res.statusCode} ${type}`));
          return;
        }
        req.setTimeout(0); // an idle stream is the point: no socket timeout from here on
        const handle = {
          events: 0, lastEventAt: undefined, ended: false,
          close: () => req.destroy(),
        };
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buf += chunk;
          let i;
          while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
            const event = buf.slice(0, i);
            buf = buf.slice(i).replace(/^\r?\n\r?\n/, '');
            if (/^data:/m.test(event)) {
              handle.events++;
              handle.lastEventAt = performance.now();
            }
          }
        });
        res.on('end', () => { handle.ended = true; });
        res.on('error', () => { handle.ended = true; });
        resolve(handle);
      });
      req.on('error', reject);
      req.setTimeout(15000, () => req.destroy(new Error('GET stream: no answer in 15 s')));
      req.end();
    });
  }

  async tool(name, args) {
    return (await this.call('tools/call', { name, arguments: args })).result;
  }
}
