/**
 * MCP client helpers for the R2 tool specs: a dev bearer token per user (no OAuth dance), an
 * official SDK client over Streamable HTTP, and `tool()` which calls a tool and returns its
 * `structuredContent`, failing loudly on `isError` (use `toolError()` when an error is expected).
 * `objectBody()` reads the bytes `get_object` sends once, in an embedded resource block.
 */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { devToken as devGrant } from './tokens.mjs';

/** A bearer token for a test user (DEV_MODE=1 only): the access token of `tokens.mjs`'s grant. */
export async function devToken(url, email, groups = []) {
  return (await devGrant(url, email, groups)).access_token;
}

/** A connected SDK client (initialize + initialized done). */
export async function connect(url, token, name = 'tools-spec') {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/**
 * Calls a tool; returns structuredContent, asserting it is not an error and has a text copy. A
 * result carrying an object's bytes (`get_object`) also gets `content`: the text, or the base64
 * blob, of its embedded resource block (see `objectBody`).
 */
export async function tool(client, name, args = {}) {
  const r = await client.callTool({ name, arguments: args });
  assert.notEqual(r.isError, true, `${name} failed: ${r.content?.[0]?.text}`);
  assert.ok(r.structuredContent, `${name}: no structuredContent`);
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent, `${name}: text copy differs`);
  const body = objectBody(r);
  return body === undefined ? r.structuredContent : { ...r.structuredContent, content: body };
}

/**
 * The bytes of a `get_object` result, sent once: its one embedded resource block's `text`
 * (encoding `text`) or `blob` (base64), for the object's URI; metadata alone in
 * `structuredContent`. `undefined` when the result has no embedded resource.
 */
export function objectBody(result) {
  const blocks = result.content.filter((c) => c.type === 'resource');
  if (blocks.length === 0) return undefined;
  assert.equal(blocks.length, 1, 'one embedded resource');
  const meta = result.structuredContent ?? JSON.parse(result.content[0].text);
  assert.equal(meta.content, undefined, 'the bytes are not in structuredContent too');
  const { resource } = blocks[0];
  assert.equal(resource.uri, meta.resource_uri);
  assert.equal(resource.mimeType, meta.content_type ?? undefined);
  const body = meta.encoding === 'text' ? resource.text : resource.blob;
  assert.equal(typeof body, 'string', `a ${meta.encoding === 'text' ? 'text' : 'blob'} resource`);
  return body;
}

/** Calls a tool that must fail; returns the error text. */
export async function toolError(client, name, args = {}) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, true, `${name} should have failed: ${JSON.stringify(r.structuredContent ?? r.content)}`);
  return r.content[0].text;
}

/** Runs `fn` over `items` with at most `n` in flight; results in order. */
export async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** Lists every object under `prefix`, following next_cursor; returns keys and page count. */
export async function listAll(client, args = {}) {
  const keys = [];
  let cursor;
  let pages = 0;
  do {
    const page = await tool(client, 'list_objects', { ...args, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.next_cursor ?? undefined;
    pages++;
  } while (cursor);
  return { keys, pages };
}
