// The popup: renders lib/viewmodel.js's view and sends the row actions to the
// host through the service worker (a runtime port named "popup"). The worker
// pushes connection and status changes, so an open popup stays current.

import { actionBody, actionPath, applyPush, browserFlag, buildView, noteFor } from './lib/viewmodel.js';
import { originsFor } from './lib/access.js';

const $ = (id) => document.getElementById(id);

let ui = {
  connection: { state: 'connecting' },
  rows: [],
  rowsComplete: false,
  busy: {},
  confirming: {},
  waiting: {},
  notes: {},
  menuOpen: {},
};
let port = null;
let nextId = 1;
const pending = new Map();
/** The row button that had focus, restored after a re-render took it away. */
let focusKey = null;

const opts = () => ({
  now: Date.now(),
  browser: browserFlag(navigator.userAgentData?.brands, navigator.userAgent),
  extensionId: chrome.runtime.id,
});

function connectPort() {
  port = chrome.runtime.connect({ name: 'popup' });
  port.onMessage.addListener(onMessage);
  port.onDisconnect.addListener(() => {
    for (const [, resolve] of pending) resolve({ error: { code: 'host_unreachable', message: 'the service worker restarted' } });
    pending.clear();
    port = null;
    setTimeout(connectPort, 300);
  });
}

function onMessage(msg) {
  if (msg?.type === 'state') {
    const before = new Map(ui.rows.map((r) => [r.id, r.health_key]));
    ui = applyPush(ui, msg);
    render();
    if (msg.source === 'status.changed') {
      for (const r of ui.rows) {
        if (before.has(r.id) && before.get(r.id) !== r.health_key) announce(`${r.name || r.id}: ${r.health || r.health_key}`);
      }
    }
    return;
  }
  if ((msg?.type === 'result' || msg?.type === 'error') && pending.has(msg.id)) {
    const resolve = pending.get(msg.id);
    pending.delete(msg.id);
    resolve(msg.type === 'result' ? { result: msg.result } : { error: msg.error });
  }
}

/** call sends an API request through the worker; it resolves with {result} or {error}. */
function call(method, path, body) {
  if (!port) return Promise.resolve({ error: { code: 'host_unreachable', message: 'not connected' } });
  const id = `p${nextId++}`;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    port.postMessage({ id, type: 'api', method, path, body });
  });
}

function announce(text) {
  const live = $('live');
  live.textContent = '';
  // A new text node after clearing makes screen readers read it again.
  setTimeout(() => (live.textContent = text), 50);
}

/**
 * changeAccess asks the browser to grant (its own prompt: the consent) or
 * remove the connector's sites. It is called in the click's own task, as
 * permissions.request needs a user gesture. The worker follows the change
 * (permissions.onAdded / onRemoved) and pushes the new state.
 */
async function changeAccess(id, action) {
  const row = ui.rows.find((r) => r.id === id);
  const name = row?.name || id;
  const origins = originsFor(row?.domains ?? []);
  const api = globalThis.browser?.permissions ?? chrome.permissions;
  const pending = action === 'allow_access' ? api.request({ origins }) : api.remove({ origins });
  ui.busy = { ...ui.busy, [id]: action };
  ui.notes = { ...ui.notes, [id]: null };
  render({ id, action });
  let note = null;
  try {
    const ok = await pending;
    if (action === 'allow_access') {
      note = ok ? { kind: 'ok', text: `Allowed: ${name} can now receive the cookies of ${row.domains.join(', ')}.` } : { kind: 'error', text: 'Not allowed: the browser’s prompt was declined.' };
    } else {
      note = { kind: 'ok', text: `Access removed: nothing of ${row.domains.join(', ')} leaves the browser for ${name}.` };
    }
  } catch (err) {
    note = { kind: 'error', text: String(err?.message || err) };
  }
  ui.busy = { ...ui.busy };
  delete ui.busy[id];
  ui.notes = { ...ui.notes, [id]: note };
  render();
  announce(`${name}: ${note.text}`);
}

async function runAction(id, action) {
  const row = ui.rows.find((r) => r.id === id);
  const name = row?.name || id;
  if (action === 'allow_access' || action === 'remove_access') return changeAccess(id, action);
  if (action === 'cancel') {
    ui.confirming = { ...ui.confirming };
    delete ui.confirming[id];
    render({ id, action: 'clear' });
    return;
  }
  if (action === 'clear' && !ui.confirming[id]) {
    ui.confirming = { ...ui.confirming, [id]: true };
    render({ id, action: 'clear' });
    announce(`Clear the stored session of ${name}? Press Confirm clear or Cancel.`);
    return;
  }
  ui.confirming = { ...ui.confirming };
  delete ui.confirming[id];
  ui.busy = { ...ui.busy, [id]: action };
  ui.notes = { ...ui.notes, [id]: null };
  render({ id, action });
  if (action === 'sign_in_connector') announce(`${name}: sign in in the window that opens on the connector's own browser.`);

  const answer = await call('POST', actionPath(id, action), actionBody(action));

  ui.busy = { ...ui.busy };
  delete ui.busy[id];
  const newRow = answer.result?.body?.row;
  if (newRow?.id === id) ui.rows = ui.rows.map((r) => (r.id === id ? newRow : r));
  const ok = !answer.error && answer.result?.status < 400;
  // opened false: the preflight found the browser's session working and
  // repaired silently, so there is no sign-in to wait for.
  const opened = answer.result?.body?.opened !== false;
  if (action === 'interactive' && ok && opened) ui.waiting = { ...ui.waiting, [id]: true };
  ui.notes = { ...ui.notes, [id]: noteFor(action, answer) };
  render(focusKey?.id === id ? { id, action: action === 'clear' && !ok ? 'clear' : action } : undefined);
  const now = ui.rows.find((r) => r.id === id);
  if (ok) announce(action === 'interactive' && opened ? `${name}: sign in in the tab that opened.` : `${name}: ${now?.health || 'done'}`);
  else announce(`${name}: ${ui.notes[id]?.text ?? 'failed'}`);
}

// ---- rendering ----

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'title' || k === 'datetime' || k === 'id' || k === 'for') e.setAttribute(k, v === true ? '' : String(v));
    else e[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function renderConnection(c) {
  const p = $('connection');
  p.dataset.connection = c.state;
  p.className = `conn conn-${c.tone}`;
  p.title = c.title || '';
  p.querySelector('.conn-label').textContent = c.label;
}

function renderProblem(problem) {
  const box = $('problem');
  if (!problem) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  const copy = el('button', { type: 'button', class: 'btn btn-small', 'data-action': 'copy-command', text: 'Copy' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(problem.command);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Select and copy';
    }
  });
  const retry = el('button', { type: 'button', class: 'btn primary', 'data-action': 'retry', text: 'Retry' });
  retry.addEventListener('click', () => {
    port?.postMessage({ type: 'reconnect' });
    retry.disabled = true;
    retry.textContent = 'Retrying…';
  });
  box.replaceChildren(...[
    el('h2', { id: 'problem-title', text: problem.title }),
    el('p', { text: problem.message }),
    el('div', { class: 'command' }, el('code', { text: problem.command }), copy),
    problem.secondaryCommand ? el('p', { class: 'muted small' }, 'If it is not installed yet: ', el('code', { text: problem.secondaryCommand })) : null,
    problem.error ? el('p', { class: 'muted small', text: `Browser said: ${problem.error}` }) : null,
    el('div', { class: 'actions' }, retry),
  ].filter(Boolean));
}

function timeEl(t) {
  return t.datetime ? el('time', { datetime: t.datetime, title: t.title, text: t.text }) : el('span', { class: 'never', text: t.text });
}

function avatarEl(a, name) {
  const letter = (x) => el('span', { class: 'avatar', 'aria-hidden': 'true', style: `background:${x.color}`, text: x.letter });
  if (a.kind !== 'image') return letter(a);
  const img = el('img', { class: 'avatar', src: a.url, alt: '', width: 32, height: 32, referrerPolicy: 'no-referrer' });
  img.addEventListener('error', () => img.replaceWith(letter(a.fallback)), { once: true });
  return img;
}

function buttonEl(row, b) {
  const classes = ['btn'];
  if (b.primary) classes.push('primary');
  if (b.confirming) classes.push('danger');
  if (b.busy) classes.push('busy');
  return el('button', {
    type: 'button',
    class: classes.join(' '),
    'data-action': b.action,
    'data-confirm': b.confirming ? 'true' : undefined,
    'aria-busy': b.busy ? 'true' : undefined,
    'aria-describedby': b.confirming ? `confirm-${row.id}` : undefined,
    disabled: b.disabled,
    text: b.label,
  });
}

function rowEl(r) {
  const nameId = `name-${r.id}`;
  const li = el('li', { class: `row ${r.health.className}`, 'data-connector-id': r.id, 'data-health': r.health.key, 'aria-labelledby': nameId });
  li.append(
    el('div', { class: 'row-head' },
      avatarEl(r.avatar, r.name),
      el('div', { class: 'row-title' },
        el('h2', { id: nameId, text: r.name }),
        r.domains ? el('p', { class: 'domains', text: r.domains }) : null,
        r.signIn ? el('p', { class: 'domains sign-in', 'data-sign-in-domains': '', text: r.signIn }) : null),
      el('p', { class: `health ${r.health.className}`, 'data-health-label': r.health.key },
        el('span', { class: 'glyph', 'aria-hidden': 'true', text: r.health.glyph }),
        el('span', { text: r.health.label }))),
  );
  if (r.grant) li.append(el('p', { class: 'grant', 'data-grant': true, text: `Allowing lets authbridge read: ${r.grant}` }));
  if (r.prompt) {
    li.append(el('div', { class: 'prompt' },
      r.prompt.what ? el('p', { class: 'what', text: r.prompt.what }) : null,
      r.prompt.why ? el('p', { class: 'why', text: r.prompt.why }) : null));
  }
  if (r.waiting) {
    li.append(el('p', { class: 'waiting', role: 'status' },
      el('span', { class: 'spinner', 'aria-hidden': 'true' }),
      'Waiting for you to sign in… Finish signing in in the tab that opened; this row updates by itself.'));
  } else if (r.repairing) {
    li.append(el('p', { class: 'waiting', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Repairing…'));
  }
  const dl = el('dl', { class: 'times' });
  for (const t of r.times) dl.append(el('div', {}, el('dt', { text: t.label }), el('dd', {}, timeEl(t))));
  li.append(dl);
  if (r.lastRelease) {
    li.append(el('p', { class: 'taken', 'data-last-release': r.lastRelease.program, title: r.lastRelease.detail },
      'Last taken by ', el('strong', { text: r.lastRelease.program }), ', ', timeEl(r.lastRelease),
      r.lastRelease.format ? ` (${r.lastRelease.format})` : ''));
  }
  if (r.lastFailure) {
    li.append(el('p', { class: 'failure' },
      'Last failure: ', el('strong', { title: r.lastFailure.code, text: r.lastFailure.label }),
      r.lastFailure.datetime ? ', ' : '', r.lastFailure.datetime ? timeEl(r.lastFailure) : null));
  }

  // One primary action, chosen by the row's state; the others in a menu,
  // each with a line saying what it does.
  const actions = el('div', { class: 'actions' }, buttonEl(r, r.primary));
  if (r.primary.confirming) actions.append(el('button', { type: 'button', class: 'btn', 'data-action': 'cancel', text: 'Cancel' }));
  const menuId = `more-${r.id}`;
  const items = el('ul', { class: 'more-items', id: menuId });
  for (const b of r.secondary) {
    const item = el('li', { class: 'more-item' }, el('div', { class: 'more-buttons' }, buttonEl(r, b),
      b.confirming ? el('button', { type: 'button', class: 'btn', 'data-action': 'cancel', text: 'Cancel' }) : null));
    item.append(el('p', { class: 'hint', id: `hint-${r.id}-${b.action}`, text: b.hint }));
    items.append(item);
  }
  const more = el('details', { class: 'more', 'data-menu': 'more', open: r.menuOpen },
    el('summary', { class: 'btn more-toggle', 'aria-controls': menuId, text: 'More actions' }), items);
  more.addEventListener('toggle', () => {
    ui.menuOpen = { ...ui.menuOpen, [r.id]: more.open };
  });
  actions.append(more);
  li.append(el('p', { class: 'hint primary-hint', text: r.primary.hint }), actions);
  if (r.confirmingClear) {
    li.append(el('p', { class: 'confirm', id: `confirm-${r.id}`, text: 'Clearing forgets the session authbridge stored for this connector and marks it Unknown. Your browser stays signed in: its own cookies are not touched.' }));
  }
  if (r.profileWait) li.append(el('p', { class: 'note note-wait', role: 'status', 'data-profile-wait': true, text: r.profileWait }));
  if (r.note) li.append(el('p', { class: `note note-${r.note.kind}`, role: r.note.kind === 'error' ? 'alert' : 'status', text: r.note.text }));
  return li;
}

/** render redraws everything; `focus` ({id, action}) moves keyboard focus to that button. */
function render(focus) {
  const active = document.activeElement;
  const activeRow = active?.closest?.('[data-connector-id]');
  if (focus) focusKey = focus;
  else if (activeRow && active.dataset.action) focusKey = { id: activeRow.dataset.connectorId, action: active.dataset.action };
  const hadFocusInList = !!activeRow || active === document.body || active === null;

  const view = buildView(ui, opts());
  renderConnection(view.connection);
  renderProblem(view.connection.problem);

  const summary = $('summary');
  summary.hidden = !view.summary;
  summary.textContent = view.summary;

  const content = $('content');
  if (view.loading) {
    content.replaceChildren(el('p', { class: 'placeholder', text: 'Connecting to authbridge…' }));
  } else if (view.empty) {
    content.replaceChildren(el('div', { class: 'empty' },
      el('h2', { text: 'No connectors yet' }),
      el('p', { text: 'Connectors appear here once authbridge loads them: add a definition to the connectors folder in authbridge’s home directory, or let your data-export app’s connectors be found. To see what authbridge loaded and why, run:' }),
      el('div', { class: 'command' }, el('code', { text: 'authbridge connectors' }))));
  } else {
    const list = el('ul', { class: 'rows' });
    for (const r of view.rows) list.append(rowEl(r));
    content.replaceChildren(list);
  }

  if (focusKey && hadFocusInList) {
    const sel = `[data-connector-id="${CSS.escape(focusKey.id)}"] [data-action="${CSS.escape(focusKey.action)}"]`;
    const target = document.querySelector(sel);
    if (target && !target.disabled) target.focus();
  }
}

document.addEventListener('click', (ev) => {
  const button = ev.target.closest?.('button[data-action]');
  const row = button?.closest('[data-connector-id]');
  if (!button || !row || button.disabled) return;
  runAction(row.dataset.connectorId, button.dataset.action);
});

document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape') return;
  const row = document.activeElement?.closest?.('[data-connector-id]');
  if (row && ui.confirming[row.dataset.connectorId]) {
    ev.preventDefault();
    runAction(row.dataset.connectorId, 'cancel');
  }
});

// Relative times ("3 min ago") age while the popup is open.
setInterval(render, 30_000);

render();
connectPort();
