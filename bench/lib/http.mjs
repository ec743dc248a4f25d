/**
 * A small keep-alive HTTP client on node:http for the load generator: lighter than fetch, so the
 * driver takes less of the two cores the runtime also needs. Loopback only.
 */
import http from 'node:http';

export function makeAgent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/**
 * @returns {Promise<{status:number, headers:import('node:http').IncomingHttpHeaders, body:Buffer}>}
 */
export function request(url, { method = 'GET', headers = {}, body, agent, timeoutMs = 30000 } = {}) {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') return Promise.reject(new Error(`not loopback: ${url}`));
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent,
      headers: payload ? { ...headers, 'content-length': payload.length } : headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
