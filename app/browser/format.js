// Pure helpers of the object browser view: sizes, dates, sorting, what a preview can show, and
// base64 for uploads. No DOM, no host: `tests/e2e/app-browser.test.mjs` drives them through the page.

/** Largest upload: put_object's limit (decoded bytes). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Images up to this size are previewed inline (get_object returns up to 1 MiB at once). */
export const MAX_IMAGE_PREVIEW_BYTES = 1024 * 1024;
/** Text previews show at most this many bytes. */
export const TEXT_PREVIEW_BYTES = 64 * 1024;

/** A size for people: bytes, KiB, MiB or GiB with one decimal (as the tool's text does). */
export function humanSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** An RFC 3339 time in the host's locale and time zone. */
export function humanTime(iso, { locale, timeZone } = {}) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso ?? '';
  try {
    return new Intl.DateTimeFormat(locale || undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: timeZone || undefined }).format(d);
  } catch {
    return d.toISOString();
  }
}

/** The last segment of a key or folder prefix. */
export function baseName(key) {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * Sorts a page's objects by `name`, `size` or `time` (`dir` 1 ascending, -1 descending); ties keep
 * key order. Folders are not sorted by size or time (they have neither): they stay first, by name.
 */
export function sortObjects(objects, by, dir) {
  const key = {
    name: (o) => o.name,
    size: (o) => o.size,
    time: (o) => Date.parse(o.uploaded) || 0,
  }[by] ?? ((o) => o.name);
  return objects
    .map((o, i) => [o, i])
    .sort(([a, i], [b, j]) => {
      const x = key(a);
      const y = key(b);
      const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return c !== 0 ? c * dir : i - j;
    })
    .map(([o]) => o);
}

const TEXT_EXTENSIONS = new Set([
  'txt', 'md', 'markdown', 'csv', 'tsv', 'json', 'jsonl', 'ndjson', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'log', 'xml', 'html', 'htm', 'css',
  'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'rs', 'py', 'rb', 'go', 'java', 'kt', 'c', 'h', 'cc', 'cpp', 'hpp', 'cs', 'swift', 'php', 'sh', 'bash',
  'zsh', 'sql', 'graphql', 'proto', 'tex', 'rst', 'adoc', 'env', 'gitignore', 'dockerfile', 'makefile', 'lock',
]);
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/svg+xml', 'image/x-icon', 'image/vnd.microsoft.icon']);

/** The essence of a content type (`text/plain; charset=utf-8` → `text/plain`). */
export function essence(contentType) {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** What a preview can show of an object: `image`, `text`, or `none` (metadata only). */
export function previewKind(object) {
  const ct = essence(object.content_type);
  if (IMAGE_TYPES.has(ct)) return 'image';
  if (
    ct.startsWith('text/') ||
    ct.endsWith('+json') ||
    ct.endsWith('+xml') ||
    ['application/json', 'application/xml', 'application/javascript', 'application/yaml', 'application/x-yaml', 'application/toml', 'application/x-sh'].includes(ct)
  ) {
    return 'text';
  }
  if (ct === '' || ct === 'application/octet-stream') {
    const name = baseName(object.key).toLowerCase();
    const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
    if (TEXT_EXTENSIONS.has(ext)) return 'text';
  }
  return 'none';
}

/** Standard base64 of bytes (in pieces a multiple of 3 bytes long, so they join). */
export function toBase64(bytes) {
  const CHUNK = 3 * 8192;
  let out = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK)));
  }
  return out;
}

/** A `data:` URL for an image preview: base64 content as is, text (SVG) encoded. */
export function imageDataUrl(contentType, encoding, content) {
  const ct = essence(contentType) || 'application/octet-stream';
  return encoding === 'base64' ? `data:${ct};base64,${content}` : `data:${ct};charset=utf-8,${encodeURIComponent(content)}`;
}

/** The folder of a key or prefix: up to and including its last `/`. */
export function folderOf(prefix) {
  return prefix.slice(0, prefix.lastIndexOf('/') + 1);
}

/** One audit record as a line: what happened to which keys. */
export function describeChange(c) {
  const [a, b] = c.keys ?? [];
  switch (c.operation) {
    case 'move':
      return `moved ${a} → ${b}`;
    case 'copy':
      return `copied ${a} → ${b}`;
    case 'put':
      return `${c.etag_before ? 'replaced' : 'created'} ${a}`;
    case 'delete':
      return (c.keys ?? []).length > 1 ? `deleted ${c.keys.length} objects (${c.keys.join(', ')})` : `deleted ${a}`;
    default:
      return `${c.operation} ${(c.keys ?? []).join(', ')}`;
  }
}
