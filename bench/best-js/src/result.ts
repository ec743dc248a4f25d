/** Tool results shared by the Worker's reads and the Durable Object's writes. */
export type ToolResult = {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/** A result with `structuredContent` and its JSON text copy, like the server's. */
export const ok = (value: Record<string, unknown>): ToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  structuredContent: value,
});
export const fail = (message: string): ToolResult => ({ content: [{ type: 'text', text: message }], isError: true });

export const isText = (type: string | undefined) =>
  !type || /^text\/|^application\/(json|xml|javascript)|\+json|\+xml/.test(type);

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
