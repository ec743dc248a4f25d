// The object browser: an MCP App view (io.modelcontextprotocol/ui) that renders browse_objects
// results. It talks to its host with the official SDK's `App` (ui/initialize, tool input and result
// notifications, tools/call proxied by the host, size changes, host context), and reaches the
// server only through tools: browse_objects to navigate and page, and the app-only ui_* tools for
// the preview and the actions (the same checks, write queue and audit trail as the model's tools).
// No network: the host's default CSP blocks it, and images are previewed as data: URLs.
//
// Built by app/build.mjs into one self-contained HTML document (build/assets/ui/browser.html).

import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables } from '@modelcontextprotocol/ext-apps/app-with-deps';
import {
  MAX_IMAGE_PREVIEW_BYTES,
  MAX_UPLOAD_BYTES,
  TEXT_PREVIEW_BYTES,
  baseName,
  describeChange,
  folderOf,
  humanSize,
  humanTime,
  imageDataUrl,
  previewKind,
  sortObjects,
  toBase64,
} from './format.js';

const $ = (id) => document.getElementById(id);

/** Creates an element: `h('td', { class: 'size' }, '1 KiB')`. Text is always set as text. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const ICONS = {
  folder: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1.5 3.5h4l1.5 1.5h7.5v8h-13z"/></svg>',
  file: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3"/></svg>',
  image: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1.5 2.5h13v11h-13z M1.5 11l4-4 3 3 2-2 4 4"/></svg>',
};
function icon(kind) {
  const span = h('span', { class: `icon icon-${kind}` });
  span.innerHTML = ICONS[kind]; // constant markup, never data
  return span;
}

// ---------------------------------------------------------------------------------------------
// State

const state = {
  /** The last browse_objects structuredContent shown. */
  page: null,
  /** Cursors of the pages before the one shown (for "Previous"); the shown page's own cursor. */
  back: [],
  cursor: undefined,
  sort: { by: 'name', dir: 1 },
  /** The selected object (an entry of `page.objects`). */
  selected: null,
  /** Bumped on every selection, so a late preview does not land on another object. */
  previewToken: 0,
  changesOpen: false,
  changesCursor: null,
  context: {},
  lastAction: '',
};

const app = new App({ name: 'r2-object-browser', version: '1.0.0' }, {}, { autoResize: true });

// ---------------------------------------------------------------------------------------------
// Host context: theme, style variables, fonts, size hints, locale

function applyContext(ctx) {
  if (!ctx) return;
  state.context = { ...state.context, ...ctx };
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
  const root = document.documentElement.style;
  const dims = ctx.containerDimensions;
  if (dims) {
    // A fixed height: fill it. A maximum: never grow past it (the list scrolls inside).
    if (typeof dims.height === 'number') {
      root.setProperty('--frame-height', `${dims.height}px`);
      root.setProperty('--frame-max', `${dims.height}px`);
    } else {
      root.removeProperty('--frame-height');
      if (typeof dims.maxHeight === 'number') root.setProperty('--frame-max', `${dims.maxHeight}px`);
      else root.removeProperty('--frame-max');
    }
  }
  const inset = ctx.safeAreaInsets;
  if (inset) {
    for (const side of ['top', 'right', 'bottom', 'left']) root.setProperty(`--inset-${side}`, `${inset[side] ?? 0}px`);
  }
  if (ctx.locale) document.documentElement.lang = ctx.locale;
  if (state.page && (ctx.locale || ctx.timeZone)) renderRows();
}

// ---------------------------------------------------------------------------------------------
// Talking to the server (through the host)

/**
 * Calls a server tool through the host; resolves to its structuredContent, throws its message.
 * An object's bytes (ui_get_object) come once, in an embedded resource block: they are added as
 * `content` (its `text`, or its base64 `blob`).
 */
async function call(name, args) {
  let result;
  try {
    result = await app.callServerTool({ name, arguments: args });
  } catch (e) {
    throw new Error(`The host refused ${name}: ${e?.message ?? e}`);
  }
  if (result.isError) {
    const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    throw new Error(text || `${name} failed`);
  }
  const text = result.content?.find((c) => c.type === 'text')?.text;
  const out = result.structuredContent ?? (text ? JSON.parse(text) : {});
  const resource = result.content?.find((c) => c.type === 'resource')?.resource;
  return resource ? { ...out, content: resource.text ?? resource.blob ?? '' } : out;
}

function say(text, { error = false } = {}) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
  s.setAttribute('role', error ? 'alert' : 'status');
}

function busy(on) {
  document.body.toggleAttribute('data-busy', on);
  $('listing').setAttribute('aria-busy', String(on));
}

/** Tells the model what the user sees, when the host takes model context. */
function updateModelContext() {
  if (!app.getHostCapabilities()?.updateModelContext || !state.page) return;
  const p = state.page;
  const lines = [
    `Object browser: folder ${JSON.stringify(p.folder)}${p.starts_with ? ` (names starting with ${JSON.stringify(p.starts_with)})` : ''}, ${p.folders.length} folders and ${p.objects.length} objects on this page.`,
  ];
  if (state.selected) lines.push(`Selected: ${state.selected.key}.`);
  if (state.lastAction) lines.push(`Last action by the user: ${state.lastAction}.`);
  app.updateModelContext({ content: [{ type: 'text', text: lines.join(' ') }] }).catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// Listing

/** Shows a folder page (the tool's structuredContent). */
function showPage(page, { cursor, keepSelection = false } = {}) {
  state.page = page;
  state.cursor = cursor;
  document.body.toggleAttribute('data-readonly', !page.can_write);
  renderCrumbs();
  const find = $('find');
  if (document.activeElement !== find) find.value = page.starts_with ?? '';
  const stillThere = keepSelection && state.selected && page.objects.find((o) => o.key === state.selected.key);
  if (stillThere) select(stillThere, { focus: false });
  else closeDetail({ focus: false });
  renderRows();
  renderPager();
  const n = page.folders.length + page.objects.length;
  if (n === 0) say(page.starts_with ? `No names start with “${page.starts_with}” here.` : 'This folder is empty.');
  else say(`${n} ${n === 1 ? 'entry' : 'entries'}${page.next_cursor || state.back.length ? ` on page ${state.back.length + 1}` : ''}.`);
  document.body.dataset.ready = '1';
  updateModelContext();
}

/** Lists `prefix` (a folder, plus the start of names), from `cursor`. */
async function load(prefix, { cursor, back = [], keepSelection = false, focusFirst = false } = {}) {
  busy(true);
  try {
    const limit = state.page?.limit ?? 50;
    const page = await call('browse_objects', { prefix, ...(cursor ? { cursor } : {}), limit });
    state.back = back;
    showPage(page, { cursor, keepSelection });
    if (focusFirst) $('rows').querySelector('button.name')?.focus();
  } catch (e) {
    say(e.message, { error: true });
  } finally {
    busy(false);
  }
}

function openFolder(prefix, opts = {}) {
  state.lastAction = '';
  return load(prefix, { focusFirst: true, ...opts });
}

const reload = (opts = {}) => load(state.page?.prefix ?? '', { cursor: state.cursor, back: state.back, keepSelection: true, ...opts });

function renderCrumbs() {
  const ol = $('crumbs');
  ol.replaceChildren();
  const crumbs = state.page.breadcrumbs;
  crumbs.forEach((c, i) => {
    const last = i === crumbs.length - 1;
    const label = i === 0 ? 'All objects' : c.name || '(empty name)';
    ol.append(
      h('li', {}, last
        ? h('span', { 'aria-current': 'page' }, label)
        : h('button', { type: 'button', class: 'crumb', 'data-prefix': c.prefix, onclick: () => openFolder(c.prefix) }, label)),
    );
  });
}

function renderRows() {
  const tbody = $('rows');
  tbody.replaceChildren();
  const { folders, objects } = state.page;
  const dirFolders = state.sort.by === 'name' && state.sort.dir < 0 ? [...folders].reverse() : folders;
  for (const f of dirFolders) {
    tbody.append(
      h('tr', { class: 'folder', 'data-prefix': f.prefix },
        h('td', { class: 'name' },
          h('button', { type: 'button', class: 'name', 'data-kind': 'folder', 'data-prefix': f.prefix, onclick: () => openFolder(f.prefix) },
            icon('folder'), h('span', {}, `${f.name || '(empty name)'}/`))),
        h('td', { class: 'size' }, ''),
        h('td', { class: 'type' }, 'Folder'),
        h('td', { class: 'time' }, '')),
    );
  }
  const ctx = state.context;
  for (const o of sortObjects(objects, state.sort.by, state.sort.dir)) {
    const selected = state.selected?.key === o.key;
    tbody.append(
      h('tr', { class: selected ? 'object selected' : 'object', 'data-key': o.key, 'aria-selected': String(selected) },
        h('td', { class: 'name' },
          h('button', { type: 'button', class: 'name', 'data-kind': 'object', 'data-key': o.key, 'aria-pressed': String(selected), onclick: () => select(o) },
            icon(previewKind(o) === 'image' ? 'image' : 'file'), h('span', {}, o.name))),
        h('td', { class: 'size' }, humanSize(o.size)),
        h('td', { class: 'type' }, o.content_type ?? '—'),
        h('td', { class: 'time' }, h('time', { datetime: o.uploaded }, humanTime(o.uploaded, ctx)))),
    );
  }
  $('empty').hidden = folders.length + objects.length > 0;
}

function renderPager() {
  const p = state.page;
  $('prev').disabled = state.back.length === 0;
  $('next').disabled = !p.next_cursor;
  $('pager').hidden = !p.next_cursor && state.back.length === 0;
  $('page-info').textContent = `Page ${state.back.length + 1}`;
}

// ---------------------------------------------------------------------------------------------
// The selected object: metadata, preview, actions

function select(o, { focus = true } = {}) {
  state.selected = o;
  for (const tr of $('rows').querySelectorAll('tr.object')) {
    const on = tr.dataset.key === o.key;
    tr.classList.toggle('selected', on);
    tr.setAttribute('aria-selected', String(on));
    tr.querySelector('button.name').setAttribute('aria-pressed', String(on));
  }
  const d = $('detail');
  d.hidden = false;
  document.body.toggleAttribute('data-detail', true);
  $('d-name').textContent = o.name;
  const meta = $('d-meta');
  meta.replaceChildren();
  for (const [k, v] of [['Key', o.key], ['Size', `${humanSize(o.size)} (${o.size.toLocaleString(state.context.locale || undefined)} bytes)`], ['Type', o.content_type ?? 'unknown'], ['Modified', humanTime(o.uploaded, state.context)], ['ETag', o.etag]]) {
    meta.append(h('dt', {}, k), h('dd', {}, v));
  }
  hideForms();
  preview(o);
  updateModelContext();
  if (focus) $('d-name').focus();
}

function closeDetail({ focus = true } = {}) {
  const had = state.selected;
  state.selected = null;
  state.previewToken++;
  $('detail').hidden = true;
  document.body.removeAttribute('data-detail');
  for (const tr of $('rows').querySelectorAll('tr.selected')) {
    tr.classList.remove('selected');
    tr.setAttribute('aria-selected', 'false');
    tr.querySelector('button.name').setAttribute('aria-pressed', 'false');
  }
  if (focus && had) rowButton(had.key)?.focus();
}

const rowButton = (key) => [...$('rows').querySelectorAll('button[data-kind="object"]')].find((b) => b.dataset.key === key);

async function preview(o) {
  const token = ++state.previewToken;
  const box = $('d-preview');
  const kind = previewKind(o);
  box.dataset.kind = kind;
  if (kind === 'none') {
    box.replaceChildren(h('p', { class: 'muted' }, 'No preview for this type of object.'));
    return;
  }
  if (kind === 'image' && o.size > MAX_IMAGE_PREVIEW_BYTES) {
    box.replaceChildren(h('p', { class: 'muted' }, `This image is ${humanSize(o.size)}; images up to ${humanSize(MAX_IMAGE_PREVIEW_BYTES)} are previewed.`));
    return;
  }
  box.replaceChildren(h('p', { class: 'muted' }, 'Loading preview…'));
  try {
    const args = kind === 'text' ? { key: o.key, range: { offset: 0, length: TEXT_PREVIEW_BYTES } } : { key: o.key };
    const got = await call('ui_get_object', args);
    if (token !== state.previewToken) return;
    if (kind === 'image') {
      box.replaceChildren(h('img', { src: imageDataUrl(got.content_type ?? o.content_type, got.encoding, got.content), alt: `Preview of ${o.name}` }));
    } else if (got.encoding === 'text') {
      const pre = h('pre', { tabindex: '0', 'aria-label': `Content of ${o.name}` }, got.content);
      if (got.size > got.length) box.replaceChildren(pre, h('p', { class: 'muted' }, `The first ${humanSize(got.length)} of ${humanSize(got.size)}.`));
      else box.replaceChildren(pre);
    } else {
      box.replaceChildren(h('p', { class: 'muted' }, 'This object is not UTF-8 text: no preview.'));
    }
  } catch (e) {
    if (token === state.previewToken) box.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

function hideForms() {
  $('d-form').hidden = true;
  $('d-confirm').hidden = true;
  $('d-actions').hidden = false;
}

/** Opens the rename/move or copy form, with the key to edit. */
function openForm(mode) {
  const o = state.selected;
  if (!o) return;
  const form = $('d-form');
  form.dataset.mode = mode;
  $('d-form-label').textContent = mode === 'move' ? 'New key (rename or move)' : 'Copy to key';
  $('d-submit').textContent = mode === 'move' ? 'Move' : 'Copy';
  const input = $('d-dest');
  input.value = mode === 'move' ? o.key : copyName(o.key);
  $('d-actions').hidden = true;
  $('d-confirm').hidden = true;
  form.hidden = false;
  input.focus();
  const dot = input.value.lastIndexOf('.');
  const slash = input.value.lastIndexOf('/') + 1;
  input.setSelectionRange(slash, dot > slash ? dot : input.value.length);
}

function copyName(key) {
  const slash = key.lastIndexOf('/') + 1;
  const dot = key.lastIndexOf('.');
  return dot > slash ? `${key.slice(0, dot)} copy${key.slice(dot)}` : `${key} copy`;
}

async function submitForm() {
  const o = state.selected;
  const mode = $('d-form').dataset.mode;
  const dest = $('d-dest').value;
  if (!o || !dest || dest === o.key) {
    say('Give a different key.', { error: true });
    return;
  }
  busy(true);
  try {
    // Only the version the user sees, and never over an existing object.
    const args = { source_key: o.key, destination_key: dest, if_source_match: o.etag, if_none_match: '*' };
    if (mode === 'move') {
      await call('ui_move_object', args);
      state.lastAction = `moved ${o.key} to ${dest}`;
    } else {
      await call('ui_copy_object', args);
      state.lastAction = `copied ${o.key} to ${dest}`;
    }
    const landed = folderOf(dest) === state.page.folder;
    await reload({ keepSelection: false });
    say(`${mode === 'move' ? 'Moved' : 'Copied'} ${o.key} → ${dest}.`);
    if (landed) {
      const there = state.page.objects.find((x) => x.key === dest);
      if (there) select(there);
    } else {
      $('rows').querySelector('button.name')?.focus();
    }
    refreshChanges();
  } catch (e) {
    say(e.message, { error: true });
  } finally {
    busy(false);
  }
}

/** The confirmation step of a delete. */
function askDelete() {
  const o = state.selected;
  if (!o || !state.page.can_write) return;
  $('d-actions').hidden = true;
  $('d-form').hidden = true;
  $('d-confirm-text').textContent = `Delete ${o.key}? This cannot be undone.`;
  $('d-confirm').hidden = false;
  $('d-confirm-no').focus();
}

async function confirmDelete() {
  const o = state.selected;
  if (!o) return;
  busy(true);
  try {
    // Exactly the version the user confirmed.
    await call('ui_delete_object', { key: o.key, if_match: o.etag });
    state.lastAction = `deleted ${o.key}`;
    closeDetail({ focus: false });
    await reload({ keepSelection: false });
    say(`Deleted ${o.key}.`);
    $('rows').querySelector('button.name')?.focus();
    refreshChanges();
  } catch (e) {
    say(e.message, { error: true });
    hideForms();
  } finally {
    busy(false);
  }
}

// ---------------------------------------------------------------------------------------------
// Upload: the picker or drag and drop, one put per file

async function upload(files) {
  if (!state.page?.can_write || files.length === 0) return;
  const folder = state.page.folder;
  const done = [];
  busy(true);
  try {
    for (const file of files) {
      const key = folder + file.name;
      if (file.size > MAX_UPLOAD_BYTES) {
        say(`${file.name} is ${humanSize(file.size)}; uploads are limited to ${humanSize(MAX_UPLOAD_BYTES)}.`, { error: true });
        continue;
      }
      say(`Uploading ${file.name}…`);
      const content_base64 = toBase64(new Uint8Array(await file.arrayBuffer()));
      const base = { key, content_base64, content_type: file.type || 'application/octet-stream' };
      try {
        await call('ui_put_object', { ...base, if_none_match: '*' });
      } catch (e) {
        if (!/precondition/i.test(e.message)) throw e;
        const existing = state.page.objects.find((o) => o.key === key);
        if (!(await confirmReplace(key))) continue;
        await call('ui_put_object', existing ? { ...base, if_match: existing.etag } : base);
      }
      done.push(key);
    }
    if (done.length) {
      state.lastAction = `uploaded ${done.join(', ')}`;
      await reload();
      say(`Uploaded ${done.map(baseName).join(', ')}.`);
      const first = state.page.objects.find((o) => o.key === done[0]);
      if (first && done.length === 1) select(first);
      refreshChanges();
    }
  } catch (e) {
    say(e.message, { error: true });
  } finally {
    busy(false);
    $('file').value = '';
  }
}

/** Asks whether to replace an existing object (an inline question, answered by a button). */
function confirmReplace(key) {
  return new Promise((resolve) => {
    const box = $('replace');
    $('replace-text').textContent = `${key} already exists. Replace it?`;
    box.hidden = false;
    const finish = (yes) => {
      box.hidden = true;
      $('replace-yes').onclick = $('replace-no').onclick = null;
      resolve(yes);
    };
    $('replace-yes').onclick = () => finish(true);
    $('replace-no').onclick = () => finish(false);
    $('replace-no').focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Recent changes, from the audit trail

async function loadChanges({ more = false } = {}) {
  const list = $('change-list');
  try {
    const r = await call('ui_changes', { limit: 20, ...(more && state.changesCursor ? { cursor: state.changesCursor } : {}) });
    if (!more) list.replaceChildren();
    for (const c of r.changes) {
      list.append(
        h('li', {},
          h('time', { datetime: c.time }, humanTime(c.time, state.context)), ' ',
          h('span', { class: 'what' }, describeChange(c)),
          c.client ? h('span', { class: 'muted' }, ` · ${c.client}`) : null),
      );
    }
    if (!more && r.changes.length === 0) list.append(h('li', { class: 'muted' }, 'No changes yet.'));
    state.changesCursor = r.next_cursor;
    $('changes-more').hidden = !r.next_cursor;
  } catch (e) {
    list.replaceChildren(h('li', { class: 'error', role: 'alert' }, e.message));
  }
}

function toggleChanges() {
  state.changesOpen = !state.changesOpen;
  $('changes').hidden = !state.changesOpen;
  $('changes-btn').setAttribute('aria-expanded', String(state.changesOpen));
  if (state.changesOpen) {
    loadChanges();
    $('changes-title').focus();
  }
}

function refreshChanges() {
  if (state.changesOpen) loadChanges();
}

// ---------------------------------------------------------------------------------------------
// Keyboard: arrows move between rows, Backspace goes up, Delete asks to delete, / finds

function rowButtons() {
  return [...$('rows').querySelectorAll('button.name')];
}

function onKey(e) {
  const t = e.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
  if (e.key === 'Escape') {
    if (!$('d-form').hidden || !$('d-confirm').hidden) {
      hideForms();
      $('d-name').focus();
    } else if (state.selected) closeDetail();
    return;
  }
  if (typing) return;
  if (e.key === '/') {
    e.preventDefault();
    $('find').focus();
    return;
  }
  const buttons = rowButtons();
  const i = buttons.indexOf(t);
  if (i >= 0 && ['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) {
    e.preventDefault();
    const j = { ArrowDown: Math.min(i + 1, buttons.length - 1), ArrowUp: Math.max(i - 1, 0), Home: 0, End: buttons.length - 1 }[e.key];
    buttons[j].focus();
    return;
  }
  if (e.key === 'Backspace' && state.page?.breadcrumbs.length > 1) {
    e.preventDefault();
    openFolder(state.page.breadcrumbs.at(-2).prefix);
    return;
  }
  if (e.key === 'Delete' && state.selected && state.page?.can_write) {
    e.preventDefault();
    askDelete();
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function wire() {
  let findTimer;
  const find = () => {
    clearTimeout(findTimer);
    load(state.page.folder + $('find').value);
  };
  $('find').addEventListener('input', () => {
    clearTimeout(findTimer);
    findTimer = setTimeout(find, 350);
  });
  $('find').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') find();
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      rowButtons()[0]?.focus();
    }
  });
  $('sort').addEventListener('change', () => {
    state.sort.by = $('sort').value;
    renderRows();
  });
  $('dir').addEventListener('click', () => {
    state.sort.dir = -state.sort.dir;
    const desc = state.sort.dir < 0;
    $('dir').textContent = desc ? '↓' : '↑';
    $('dir').setAttribute('aria-label', desc ? 'Descending order (change to ascending)' : 'Ascending order (change to descending)');
    renderRows();
  });
  $('refresh-btn').addEventListener('click', () => {
    reload();
    refreshChanges();
  });
  $('prev').addEventListener('click', () => {
    const back = [...state.back];
    const cursor = back.pop();
    load(state.page.prefix, { cursor: cursor ?? undefined, back, focusFirst: true });
  });
  $('next').addEventListener('click', () => {
    load(state.page.prefix, { cursor: state.page.next_cursor, back: [...state.back, state.cursor ?? null], focusFirst: true });
  });
  $('upload-btn').addEventListener('click', () => $('file').click());
  $('file').addEventListener('change', () => upload([...$('file').files]));
  $('changes-btn').addEventListener('click', toggleChanges);
  $('changes-more').addEventListener('click', () => loadChanges({ more: true }));
  $('d-close').addEventListener('click', () => closeDetail());
  $('a-move').addEventListener('click', () => openForm('move'));
  $('a-copy').addEventListener('click', () => openForm('copy'));
  $('a-delete').addEventListener('click', askDelete);
  $('d-submit').addEventListener('click', submitForm);
  $('d-dest').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') submitForm();
  });
  $('d-cancel').addEventListener('click', () => {
    hideForms();
    $('d-name').focus();
  });
  $('d-confirm-yes').addEventListener('click', confirmDelete);
  $('d-confirm-no').addEventListener('click', () => {
    hideForms();
    $('a-delete').focus();
  });
  document.addEventListener('keydown', onKey);

  // Drag and drop anywhere on the view uploads into the folder shown.
  let depth = 0;
  const dropping = (on) => document.body.toggleAttribute('data-dropping', on && !!state.page?.can_write);
  document.addEventListener('dragenter', (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    depth++;
    $('drop-folder').textContent = state.page?.folder || 'the top folder';
    dropping(true);
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropping(false);
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    dropping(false);
    upload([...(e.dataTransfer?.files ?? [])]);
  });
}

// The host's notifications: register before connecting (the host may send them at once).
let input = {};
app.ontoolinput = (params) => {
  input = params.arguments ?? {};
  say(`Opening ${input.prefix ? JSON.stringify(input.prefix) : 'all objects'}…`);
};
app.ontoolresult = (result) => {
  if (result.isError) {
    say(result.content?.find((c) => c.type === 'text')?.text ?? 'browse_objects failed', { error: true });
    document.body.dataset.ready = '1';
    return;
  }
  if (result.structuredContent) showPage(result.structuredContent, { cursor: input.cursor });
  else load(input.prefix ?? '', { cursor: input.cursor });
};
app.ontoolcancelled = (params) => say(`Cancelled${params?.reason ? `: ${params.reason}` : ''}.`, { error: true });
app.onhostcontextchanged = (ctx) => applyContext(ctx);
app.onteardown = async () => ({});

wire();
app
  .connect()
  .then(() => applyContext(app.getHostContext()))
  .catch((e) => say(`Could not connect to the host: ${e?.message ?? e}`, { error: true }));
