/**
 * The R2 tools of the baseline, with the server's names, arguments and result shapes: list_objects,
 * get_object, head_object, put_object, delete_object. Results carry `structuredContent` and a text
 * copy, like the server's. Every key lives under `u/<sub>/`, the user's own prefix.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

export type Props = { sub: string; email: string; name: string };

const INLINE_LIMIT = 1024 * 1024;

const ok = (value: Record<string, unknown>) => ({
  content: [{ type: 'text' as const, text: JSON.stringify(value) }],
  structuredContent: value,
});
const fail = (message: string) => ({ content: [{ type: 'text' as const, text: message }], isError: true });

const isText = (type: string | undefined) =>
  !type || /^text\/|^application\/(json|xml|javascript)|\+json|\+xml/.test(type);

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const objectShape = z.object({
  key: z.string(),
  size: z.number().int(),
  etag: z.string(),
  uploaded: z.string(),
  content_type: z.string().nullable().optional(),
});

export function registerR2Tools(server: McpServer, bucket: () => R2Bucket, props: () => Props) {
  const root = () => `u/${props().sub}/`;

  server.registerTool(
    'list_objects',
    {
      title: 'List objects',
      description: 'List objects in your storage namespace, in key order.',
      inputSchema: {
        prefix: z.string().optional(),
        delimiter: z.string().optional(),
        cursor: z.string().optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      },
      outputSchema: { objects: z.array(objectShape), folders: z.array(z.string()), next_cursor: z.string().nullable() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ prefix = '', delimiter, cursor, limit = 100 }) => {
      const base = root();
      const page = await bucket().list({ prefix: base + prefix, delimiter, cursor, limit, include: ['httpMetadata'] } as R2ListOptions);
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
      inputSchema: {
        key: z.string(),
        range: z.object({
          offset: z.number().int().min(0).optional(),
          length: z.number().int().min(1).optional(),
          suffix: z.number().int().min(1).optional(),
        }).strict().optional(),
      },
      outputSchema: {
        key: z.string(), size: z.number().int(), etag: z.string(), content_type: z.string().nullable(),
        uploaded: z.string(), encoding: z.enum(['text', 'base64']), content: z.string(),
        offset: z.number().int(), truncated: z.boolean(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ key, range }) => {
      const r2range = range?.suffix !== undefined ? { suffix: range.suffix }
        : { offset: range?.offset ?? 0, length: Math.min(range?.length ?? INLINE_LIMIT, INLINE_LIMIT) };
      const obj = await bucket().get(root() + key, { range: r2range as R2Range });
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
      inputSchema: { key: z.string() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ key }) => {
      const obj = await bucket().head(root() + key);
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
      inputSchema: {
        key: z.string(),
        content: z.string().optional(),
        content_base64: z.string().optional(),
        content_type: z.string().optional(),
        custom_metadata: z.record(z.string(), z.string()).optional(),
        if_match: z.string().optional(),
        if_none_match: z.literal('*').optional(),
      },
      outputSchema: { key: z.string(), etag: z.string(), size: z.number().int() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ key, content, content_base64, content_type, custom_metadata, if_match, if_none_match }) => {
      if ((content === undefined) === (content_base64 === undefined)) return fail('give exactly one of content, content_base64');
      const body = content !== undefined ? new TextEncoder().encode(content) : fromBase64(content_base64!);
      if (body.length > 10 * 1024 * 1024) return fail('content is larger than 10 MiB');
      const onlyIf = if_match ? { etagMatches: if_match } : if_none_match ? { etagDoesNotMatch: '*' } : undefined;
      const put = await bucket().put(root() + key, body, {
        httpMetadata: { contentType: content_type ?? (content !== undefined ? 'text/plain; charset=utf-8' : 'application/octet-stream') },
        customMetadata: custom_metadata,
        onlyIf,
      });
      if (!put) return fail('precondition failed');
      return ok({ key, etag: put.etag, size: put.size });
    },
  );

  server.registerTool(
    'delete_object',
    {
      title: 'Delete objects',
      description: 'Delete one object (`key`) or up to 1000 (`keys`).',
      inputSchema: { key: z.string().optional(), keys: z.array(z.string()).min(1).max(1000).optional(), if_match: z.string().optional() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ key, keys }) => {
      const list = keys ?? (key !== undefined ? [key] : []);
      if (list.length === 0) return fail('give key or keys');
      await bucket().delete(list.map((k) => root() + k));
      return ok({ deleted: list });
    },
  );
}
