/**
 * best-JS's eight R2 tools on an MCP SDK v2 `McpServer`, with the server's names, arguments and
 * result shapes (durable/src/mcp/tools.json). The five the baseline has are its tools.ts adapted to
 * SDK v2 (`z.object` schemas; the user from `getMcpAuthContext()`); copy_object, move_object and
 * recent_changes are added. Reads go from the Worker straight to R2; writes go to the user's
 * Durable Object (writes.ts), which applies them one at a time and keeps the audit trail that
 * recent_changes reads. Every key lives under `u/<sub>/`, the user's own prefix.
 *
 * The schemas are built once per isolate; only `registerTool` runs per request (the handler takes
 * a fresh server from the factory for every request, as `createMcpHandler` requires).
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { getMcpAuthContext } from 'agents/mcp/server';
import { env } from 'cloudflare:workers';
import { z } from 'zod';
import type { Env } from './index';
import { fail, isText, ok, toBase64, type ToolResult } from './result';

export type Props = { sub: string; email: string; name: string };

const INLINE_LIMIT = 1024 * 1024;
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const WRITE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

const objectShape = z.object({
  key: z.string(),
  size: z.number().int(),
  etag: z.string(),
  uploaded: z.string(),
  content_type: z.string().nullable().optional(),
});

const S = {
  list: {
    input: z.object({
      prefix: z.string().optional(),
      delimiter: z.string().optional(),
      cursor: z.string().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }).strict(),
    output: z.object({ objects: z.array(objectShape), folders: z.array(z.string()), next_cursor: z.string().nullable() }),
  },
  get: {
    input: z.object({
      key: z.string(),
      range: z.object({
        offset: z.number().int().min(0).optional(),
        length: z.number().int().min(1).optional(),
        suffix: z.number().int().min(1).optional(),
      }).strict().optional(),
    }).strict(),
    output: z.object({
      key: z.string(), size: z.number().int(), etag: z.string(), content_type: z.string().nullable(),
      uploaded: z.string(), encoding: z.enum(['text', 'base64']), content: z.string(),
      offset: z.number().int(), truncated: z.boolean(),
    }),
  },
  head: {
    input: z.object({ key: z.string() }).strict(),
    output: z.object({
      key: z.string(), size: z.number().int(), etag: z.string(), content_type: z.string().nullable(),
      custom_metadata: z.record(z.string(), z.string()), uploaded: z.string(),
    }),
  },
  put: {
    input: z.object({
      key: z.string(),
      content: z.string().optional(),
      content_base64: z.string().optional(),
      content_type: z.string().optional(),
      custom_metadata: z.record(z.string(), z.string()).optional(),
      if_match: z.string().optional(),
      if_none_match: z.literal('*').optional(),
    }).strict(),
    output: z.object({ key: z.string(), etag: z.string(), size: z.number().int() }),
  },
  delete: {
    input: z.object({
      key: z.string().optional(),
      keys: z.array(z.string()).min(1).max(1000).optional(),
      if_match: z.string().optional(),
    }).strict(),
    output: z.object({ deleted: z.array(z.string()) }),
  },
  copy: {
    input: z.object({
      source_key: z.string(),
      destination_key: z.string(),
      if_source_match: z.string().optional(),
      if_match: z.string().optional(),
      if_none_match: z.literal('*').optional(),
    }).strict(),
    output: z.object({ source_key: z.string(), destination_key: z.string(), etag: z.string(), size: z.number().int() }),
  },
  recent: {
    input: z.object({ cursor: z.string().optional(), limit: z.number().int().min(1).max(200).optional() }).strict(),
    output: z.object({
      changes: z.array(z.object({
        time: z.string(), session: z.string().nullable().optional(), client: z.string().nullable().optional(),
        operation: z.string(), keys: z.array(z.string()),
        etag_before: z.string().nullable().optional(), etag_after: z.string().nullable().optional(),
      })),
      next_cursor: z.string().nullable(),
    }),
  },
};

export type PutArgs = z.infer<typeof S.put.input>;
export type DeleteArgs = z.infer<typeof S.delete.input>;
export type CopyArgs = z.infer<typeof S.copy.input>;
export type RecentArgs = z.infer<typeof S.recent.input>;

const bindings = () => env as unknown as Env;
const props = () => {
  const p = getMcpAuthContext()?.props as Props | undefined;
  if (!p?.sub) throw new Error('no authenticated user');
  return p;
};
const root = () => `u/${props().sub}/`;
/** The user's Durable Object: the single writer of their namespace and keeper of their audit trail. */
const writer = () => {
  const ns = bindings().USER_WRITES;
  return ns.get(ns.idFromName(props().sub));
};
/** The OAuth client of this request, recorded with each write (stateless: there is no session). */
const clientOf = (ctx: { http?: { authInfo?: { clientId?: string } } }) => ctx.http?.authInfo?.clientId ?? null;

export function registerR2Tools(server: McpServer) {
  server.registerTool(
    'list_objects',
    {
      title: 'List objects',
      description: 'List objects in your storage namespace, in key order.',
      inputSchema: S.list.input,
      outputSchema: S.list.output,
      annotations: READ,
    },
    async ({ prefix = '', delimiter, cursor, limit = 100 }) => {
      const base = root();
      const page = await bindings().BUCKET.list({ prefix: base + prefix, delimiter, cursor, limit, include: ['httpMetadata'] } as R2ListOptions);
      return ok({
        objects: page.objects.map((o) => ({
          key: o.key.slice(base.length),
          size: o.size,
          etag: o.etag,
          uploaded: o.uploaded.toISOString(),
          content_type: o.httpMetadata?.contentType ?? null,
        })),
        folders: page.delimitedPrefixes.map((p) => p.slice(base.length)),
        next_cursor: page.truncated ? page.cursor : null,
      });
    },
  );

  server.registerTool(
    'get_object',
    {
      title: 'Read an object',
      description: "Read an object's content: text for text-like content types, base64 otherwise.",
      inputSchema: S.get.input,
      outputSchema: S.get.output,
      annotations: READ,
    },
    async ({ key, range }) => {
      const r2range = range?.suffix !== undefined ? { suffix: range.suffix }
        : { offset: range?.offset ?? 0, length: Math.min(range?.length ?? INLINE_LIMIT, INLINE_LIMIT) };
      const obj = await bindings().BUCKET.get(root() + key, { range: r2range as R2Range });
      if (!obj) return fail(`no object ${key}`);
      const bytes = new Uint8Array(await obj.arrayBuffer());
      const type = obj.httpMetadata?.contentType;
      const offset = range?.suffix !== undefined ? Math.max(0, obj.size - range.suffix) : range?.offset ?? 0;
      const wanted = range?.suffix !== undefined ? Math.min(range.suffix, obj.size) : (range?.length ?? obj.size - offset);
      return ok({
        key, size: obj.size, etag: obj.etag, content_type: type ?? null, uploaded: obj.uploaded.toISOString(),
        encoding: isText(type) ? 'text' : 'base64',
        content: isText(type) ? new TextDecoder().decode(bytes) : toBase64(bytes),
        offset, truncated: bytes.length < Math.min(wanted, obj.size - offset),
      });
    },
  );

  server.registerTool(
    'head_object',
    {
      title: 'Object metadata',
      description: "Read an object's metadata only.",
      inputSchema: S.head.input,
      outputSchema: S.head.output,
      annotations: READ,
    },
    async ({ key }) => {
      const obj = await bindings().BUCKET.head(root() + key);
      if (!obj) return fail(`no object ${key}`);
      return ok({
        key, size: obj.size, etag: obj.etag, content_type: obj.httpMetadata?.contentType ?? null,
        custom_metadata: obj.customMetadata ?? {}, uploaded: obj.uploaded.toISOString(),
      });
    },
  );

  server.registerTool(
    'put_object',
    {
      title: 'Write an object',
      description: 'Create or replace an object, as `content` (text) or `content_base64` (binary).',
      inputSchema: S.put.input,
      outputSchema: S.put.output,
      annotations: WRITE,
    },
    async (args, ctx) => {
      if ((args.content === undefined) === (args.content_base64 === undefined)) return fail('give exactly one of content, content_base64');
      return (await writer().put(root(), args, clientOf(ctx))) as ToolResult;
    },
  );

  server.registerTool(
    'delete_object',
    {
      title: 'Delete objects',
      description: 'Delete one object (`key`, optionally guarded by `if_match`) or up to 1000 (`keys`).',
      inputSchema: S.delete.input,
      outputSchema: S.delete.output,
      annotations: WRITE,
    },
    async (args, ctx) => {
      if ((args.key === undefined) === (args.keys === undefined)) return fail('give key or keys');
      if (args.if_match !== undefined && args.key === undefined) return fail('if_match goes with key only');
      return (await writer().delete(root(), args, clientOf(ctx))) as ToolResult;
    },
  );

  for (const move of [false, true]) {
    server.registerTool(
      move ? 'move_object' : 'copy_object',
      {
        title: move ? 'Move an object' : 'Copy an object',
        description: move
          ? 'Move (rename) an object: copy to the destination, then delete the source. Same preconditions as copy_object.'
          : 'Copy an object to another key. `if_source_match` guards the source version; `if_match` / `if_none_match: "*"` guard the destination.',
        inputSchema: S.copy.input,
        outputSchema: S.copy.output,
        annotations: { ...WRITE, idempotentHint: !move },
      },
      async (args, ctx) => {
        if (args.source_key === args.destination_key) return fail('source_key and destination_key are the same');
        return (await writer().copy(root(), args, clientOf(ctx), move)) as ToolResult;
      },
    );
  }

  server.registerTool(
    'recent_changes',
    {
      title: 'Recent changes',
      description: 'Your audit trail of applied writes, newest first: time, client, operation, keys, etag before and after.',
      inputSchema: S.recent.input,
      outputSchema: S.recent.output,
      annotations: READ,
    },
    async (args) => (await writer().recent(args)) as ToolResult,
  );
}
