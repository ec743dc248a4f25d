/**
 * best-JS's per-user Durable Object: the single writer of the user's namespace and the keeper of
 * its audit trail. The MCP handler itself is stateless; this object exists only because two of the
 * tools' promises need one place per user: `recent_changes` lists the applied writes in the order
 * they were applied, each with the destination's etag before and after, and that "before" is only
 * true if no other write of the same user runs in between. So writes come here over RPC and run one
 * at a time, in arrival order (a promise chain: R2 calls open the input gate, so the runtime alone
 * would interleave them); reads never come here.
 *
 * What it does not do, compared with the server: no write-ahead intent (a runtime that dies between
 * R2's confirmation and the audit insert loses that record), no remembered etags (every write asks
 * R2 for the current one), no change notifications (a stateless server has no stream to send
 * them on).
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from './index';
import { fail, fromBase64, ok, type ToolResult } from './result';
import type { CopyArgs, DeleteArgs, PutArgs, RecentArgs } from './tools';

const MAX_BODY = 10 * 1024 * 1024;
/** The trail keeps 30 days and at most 10,000 records (like the server's), trimmed every 64 writes. */
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_ROWS = 10_000;
const DEFAULT_PAGE = 50;

/** Why a write is refused, or undefined when its preconditions hold for `before` (the current etag). */
function refused(before: string | null, ifMatch: string | undefined, createOnly: boolean, what: string) {
  if (ifMatch !== undefined && before !== ifMatch) {
    return `Precondition failed: ${what} ${before === null ? 'does not exist' : `has etag ${before}, not ${ifMatch}`}; nothing was written.`;
  }
  if (createOnly && before !== null) return `Precondition failed: ${what} already exists; nothing was written.`;
  return undefined;
}

export class UserWrites extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private tail: Promise<unknown> = Promise.resolve();
  private writes = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, client TEXT, operation TEXT NOT NULL,
      keys TEXT NOT NULL, etag_before TEXT, etag_after TEXT)`);
  }

  /** Runs `fn` after every write that arrived before it has finished. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => {});
    return run;
  }

  private record(operation: string, keys: string[], client: string | null, before: string | null, after: string | null) {
    const now = Date.now();
    this.sql.exec(
      'INSERT INTO audit (at_ms, client, operation, keys, etag_before, etag_after) VALUES (?, ?, ?, ?, ?, ?)',
      now, client, operation, JSON.stringify(keys), before, after,
    );
    if (++this.writes % 64 === 0) {
      this.sql.exec('DELETE FROM audit WHERE at_ms < ? OR seq <= (SELECT MAX(seq) FROM audit) - ?', now - MAX_AGE_MS, MAX_ROWS);
    }
  }

  put(root: string, a: PutArgs, client: string | null): Promise<ToolResult> {
    return this.serial(async () => {
      const bucket = this.env.BUCKET;
      const body = a.content !== undefined ? new TextEncoder().encode(a.content) : fromBase64(a.content_base64 ?? '');
      if (body.length > MAX_BODY) return fail('content is larger than 10 MiB');
      const what = JSON.stringify(a.key);
      const before = (await bucket.head(root + a.key))?.etag ?? null;
      const no = refused(before, a.if_match, a.if_none_match === '*', what);
      if (no) return fail(no);
      const put = await bucket.put(root + a.key, body, {
        httpMetadata: { contentType: a.content_type ?? (a.content !== undefined ? 'text/plain; charset=utf-8' : 'application/octet-stream') },
        customMetadata: a.custom_metadata,
        ...(before !== null ? { onlyIf: { etagMatches: before } } : {}),
      });
      if (!put) return fail(`Precondition failed: ${what} changed while it was being written; nothing was written.`);
      this.record('put', [a.key], client, before, put.etag);
      return ok({ key: a.key, etag: put.etag, size: put.size });
    });
  }

  delete(root: string, a: DeleteArgs, client: string | null): Promise<ToolResult> {
    return this.serial(async () => {
      const bucket = this.env.BUCKET;
      const keys = a.keys ?? [a.key as string];
      let before: string | null = null;
      if (a.key !== undefined) {
        before = (await bucket.head(root + a.key))?.etag ?? null;
        const no = refused(before, a.if_match, false, JSON.stringify(a.key));
        if (no) return fail(no.replace('written', 'deleted'));
      }
      await bucket.delete(keys.map((k) => root + k));
      this.record('delete', keys, client, before, null);
      return ok({ deleted: keys });
    });
  }

  copy(root: string, a: CopyArgs, client: string | null, move: boolean): Promise<ToolResult> {
    return this.serial(async () => {
      const bucket = this.env.BUCKET;
      const src = await bucket.head(root + a.source_key);
      if (!src) return fail(`no object ${JSON.stringify(a.source_key)}`);
      if (a.if_source_match !== undefined && src.etag !== a.if_source_match) {
        return fail(`Precondition failed: ${JSON.stringify(a.source_key)} has etag ${src.etag}, not ${a.if_source_match}; nothing was written.`);
      }
      const before = (await bucket.head(root + a.destination_key))?.etag ?? null;
      const no = refused(before, a.if_match, a.if_none_match === '*', JSON.stringify(a.destination_key));
      if (no) return fail(no);
      // The same version as the head above, streamed from R2 into R2.
      const body = await bucket.get(root + a.source_key, { onlyIf: { etagMatches: src.etag } });
      if (!body || !('body' in body)) return fail(`Precondition failed: ${JSON.stringify(a.source_key)} changed while it was being copied; nothing was written.`);
      const put = await bucket.put(root + a.destination_key, body.body, {
        httpMetadata: src.httpMetadata,
        customMetadata: src.customMetadata,
        ...(before !== null ? { onlyIf: { etagMatches: before } } : {}),
      });
      if (!put) return fail(`Precondition failed: ${JSON.stringify(a.destination_key)} changed while it was being written; nothing was written.`);
      if (move) await bucket.delete(root + a.source_key);
      this.record(move ? 'move' : 'copy', [a.source_key, a.destination_key], client, before, put.etag);
      return ok({ source_key: a.source_key, destination_key: a.destination_key, etag: put.etag, size: put.size });
    });
  }

  recent(a: RecentArgs): ToolResult {
    const limit = a.limit ?? DEFAULT_PAGE;
    const below = a.cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(a.cursor);
    if (!Number.isSafeInteger(below) || below < 0) return fail('invalid cursor');
    const rows = this.sql.exec<{ seq: number; at_ms: number; client: string | null; operation: string; keys: string; etag_before: string | null; etag_after: string | null }>(
      'SELECT seq, at_ms, client, operation, keys, etag_before, etag_after FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?',
      below, limit + 1,
    ).toArray();
    const page = rows.slice(0, limit);
    return ok({
      changes: page.map((r) => ({
        time: new Date(r.at_ms).toISOString(), session: null, client: r.client, operation: r.operation,
        keys: JSON.parse(r.keys) as string[], etag_before: r.etag_before, etag_after: r.etag_after,
      })),
      next_cursor: rows.length > limit ? String(page[page.length - 1].seq) : null,
    });
  }
}
