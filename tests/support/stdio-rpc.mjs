/**
 * Speaks MCP's stdio transport (newline-delimited JSON-RPC) to a child process, the way a desktop
 * host such as Claude Desktop talks to `mcp-remote`: `request()` with a timeout, `notify()`, all
 * stderr kept for diagnostics, and `close()` that always ends the child (SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';

export class StdioRpc {
  /**
   * @param {string} command
   * @param {string[]} args
   * @param {import('node:child_process').SpawnOptions} [options]
   */
  constructor(command, args, options = {}) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.stderr = '';
    this.messages = [];
    this.pending = new Map();
    this.nextId = 1;
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.once('exit', (code, signal) => {
      for (const { reject } of this.pending.values()) reject(new Error(`child exited (${code ?? signal}) before answering\n${this.tail()}`));
      this.pending.clear();
    });
    this.child.stderr.setEncoding('utf8').on('data', (d) => {
      this.stderr += d;
      if (this.stderr.length > 400_000) this.stderr = this.stderr.slice(-200_000);
    });
    let buf = '';
    this.child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          this.stderr += `[non-JSON on stdout] ${line}\n`;
          continue;
        }
        this.messages.push(msg);
        if (msg.id !== undefined && (msg.result !== undefined || msg.error !== undefined) && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          p.resolve(msg);
        }
      }
    });
    this.child.stdin.on('error', () => {});
  }

  /** The last lines of the child's stderr, for assertion messages. */
  tail(n = 40) {
    return this.stderr.split('\n').slice(-n).join('\n');
  }

  /** Sends a request; resolves to the whole JSON-RPC response (result or error). */
  request(method, params = {}, { timeoutMs = 60_000 } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method, params = {}) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  /** Ends the child: closes stdin, SIGTERM, and SIGKILL if it is still there after `graceMs`. */
  async close(graceMs = 3000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    try {
      this.child.stdin.end();
    } catch {}
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }
}
