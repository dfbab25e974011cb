import test from 'node:test';
import assert from 'node:assert/strict';
import {
  summaryText,
  ACTIONS, actionBody, actionPath, applyPush, avatar, browserFlag, buildView, connectionView, exactTime, noteFor,
  primaryAction, reasonLabel, relativeTime, secondaryActions, timeField,
} from '../lib/viewmodel.js';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const opts = { now: NOW, browser: 'chromium', extensionId: 'ldpickkggldlkffgckonbokbiinckjpp', locale: 'en-GB', timeZone: 'UTC' };
const connected = { state: 'connected', agent_version: '0.1.0', bridge_id: 'b1' };

const expired = {
  id: 'demo', name: 'Demo Site', icon: '', domains: ['demo.test'],
  health: 'Needs Attention', health_key: 'needs_attention', reason: 'SESSION_EXPIRED', detail: 'login_redirect',
  prompt: { what: 'Demo Site signed you out.', why: 'The site redirected to its login page.', action: { id: 'repair', label: 'Use your Chrome sign-in' } },
  last_verified_at: '2026-11-26T09:57:00Z', last_headless_success_at: '2026-11-25T08:00:00Z',
  last_failure_at: '2026-11-26T09:57:00Z', last_failure_reason: 'SESSION_EXPIRED',
};
const healthy = { id: 'gh', name: 'GitHub', health: 'Healthy', health_key: 'healthy', icon: 'https://github.com/favicon.ico', domains: ['github.com'], last_headless_success_at: '2026-11-26T09:59:30Z' };
const unknown = { id: 'new', name: 'new thing', health: 'Unknown', health_key: 'unknown' };

const ui = (extra = {}) => ({ connection: connected, rows: [expired, healthy, unknown], rowsComplete: true, busy: {}, confirming: {}, waiting: {}, notes: {}, ...extra });

test('relativeTime reads naturally in both directions', () => {
  const cases = [
    [0, 'just now'], [44e3, 'just now'], [45e3, '1 min ago'], [3 * 60e3, '3 min ago'], [59 * 60e3 + 59e3, '59 min ago'],
    [3600e3, '1 hour ago'], [5 * 3600e3, '5 hours ago'], [24 * 3600e3, 'yesterday'], [3 * 86400e3, '3 days ago'],
    [45 * 86400e3, '1 month ago'], [800 * 86400e3, '2 years ago'], [-10 * 60e3, 'in 10 min'], [-30 * 3600e3, 'tomorrow'],
  ];
  for (const [ago, want] of cases) assert.equal(relativeTime(NOW - ago, NOW), want, `relativeTime(-${ago})`);
  assert.equal(relativeTime(null, NOW), 'Never');
});

test('timeField gives the exact time for the hover title', () => {
  const t = timeField('2026-11-26T09:57:00Z', opts);
  assert.equal(t.text, '3 min ago');
  assert.equal(t.title, '26 Nov 2026, 09:57:00');
  assert.equal(t.datetime, '2026-11-26T09:57:00.000Z');
  assert.deepEqual(timeField(undefined, opts), { text: 'Never', title: '', datetime: '' });
  assert.equal(timeField('0001-01-01T00:00:00Z', opts).text, 'Never');
  assert.equal(timeField('garbage', opts).text, 'Never');
  assert.equal(exactTime(Date.parse('2026-01-02T03:04:05Z'), { locale: 'en-US', timeZone: 'UTC' }), 'Jan 2, 2026, 3:04:05 AM');
});

test('primaryAction: Verify for a Healthy row, else the host prompt, else health and reason', () => {
  assert.equal(primaryAction(expired), 'repair');
  assert.equal(primaryAction({ health_key: 'healthy', prompt: { action: { id: 'repair' } } }), 'verify');
  assert.equal(primaryAction({ health_key: 'needs_attention', reason: 'SESSION_EXPIRED' }), 'interactive');
  assert.equal(primaryAction({ ...expired, prompt: { action: { id: 'interactive_repair' } } }), 'interactive');
  assert.equal(primaryAction({ health_key: 'healthy' }), 'verify');
  assert.equal(primaryAction({ health_key: 'unknown' }), 'repair');
  assert.equal(primaryAction({ health_key: 'needs_attention', reason: 'MFA_OR_CHALLENGE_REQUIRED' }), 'interactive');
  assert.equal(primaryAction({ health_key: 'needs_attention', reason: 'NETWORK_OR_TIMEOUT' }), 'verify');
  assert.equal(primaryAction({ health_key: 'needs_attention', prompt: { action: { id: 'update_connector' } }, reason: 'SESSION_EXPIRED' }), 'interactive');
});

test('a needs-attention row shows the prompt, its primary action first and the others as secondary', () => {
  const v = buildView(ui(), opts);
  const r = v.rows[0];
  assert.equal(r.id, 'demo');
  assert.deepEqual({ key: r.health.key, label: r.health.label, glyph: r.health.glyph }, { key: 'needs_attention', label: 'Needs Attention', glyph: '!' });
  assert.deepEqual(r.prompt, { what: 'Demo Site signed you out.', why: 'The site redirected to its login page.', reason: 'SESSION_EXPIRED', detail: 'login_redirect' });
  assert.deepEqual([r.primary.action, r.primary.label, r.primary.primary], ['repair', 'Use your Chrome sign-in', true]);
  assert.deepEqual(r.secondary.map((b) => [b.action, b.label]), [
    ['verify', 'Verify session'], ['interactive', 'Sign in again'], ['clear', 'Clear session'],
  ]);
  assert.deepEqual(r.times.map((t) => [t.label, t.text]), [
    ['Last run without you', 'yesterday'], ['Last time you signed in', 'Never'], ['Last checked', '3 min ago'],
  ]);
  assert.deepEqual([r.lastFailure.label, r.lastFailure.text], ['Session expired', '3 min ago']);
  assert.equal(v.summary, '1 of 3 connectors needs attention');
});

test('health is colour, text and glyph for every state', () => {
  const v = buildView(ui(), opts);
  assert.deepEqual(v.rows.map((r) => [r.health.key, r.health.label, r.health.glyph, r.health.className]), [
    ['needs_attention', 'Needs Attention', '!', 'health-attention'],
    ['healthy', 'Healthy', '✓', 'health-healthy'],
    ['unknown', 'Unknown', '?', 'health-unknown'],
  ]);
  assert.equal(v.rows[1].prompt, null, 'a healthy row has no prompt');
  assert.equal(v.rows[1].primary.action, 'verify');
});

test('a running action shows progress and disables the row', () => {
  const r = buildView(ui({ busy: { demo: 'verify' } }), opts).rows[0];
  const verify = r.secondary.find((b) => b.action === 'verify');
  assert.deepEqual([verify.label, verify.busy, verify.disabled], ['Verifying…', true, true]);
  assert.equal(r.primary.disabled, true);
  assert.equal(r.busy, true);
  const other = buildView(ui({ busy: { demo: 'verify' } }), opts).rows[1];
  assert.equal(other.primary.disabled, false);
  for (const [a, label] of Object.entries({ repair: 'Repairing…', interactive: 'Opening sign-in…', clear: 'Clearing…' })) {
    assert.equal(ACTIONS[a].busy, label);
  }
});

test('a repair under way is one Repairing… state with the row disabled, whoever started it', () => {
  for (const state of [ui({ busy: { demo: 'repair' } }), ui({ rows: ui().rows.map((r, i) => (i === 0 ? { ...r, repair_in_progress: true } : r)) })]) {
    const r = buildView(state, opts).rows[0];
    assert.equal(r.repairing, true);
    for (const b of [r.primary, ...r.secondary]) {
      assert.equal(b.disabled, true, `${b.action} is disabled during the repair`);
      assert.notEqual(b.label, 'Repairing…', 'the row line, not a button, says Repairing…');
    }
    assert.equal(buildView(state, opts).rows[1].primary.disabled, false, 'other rows stay enabled');
  }
});

test('a connector with a profile says when its profile was written', () => {
  const withProfile = { ...ui().rows[1], profile_dir: '/p/demo', profile_written_at: '2026-11-26T09:59:30Z' };
  let r = buildView(ui({ rows: [withProfile] }), opts).rows[0];
  assert.deepEqual(r.times.find((t) => t.key === 'profile')?.label, 'Last copied to the connector’s browser');
  assert.ok(r.times.find((t) => t.key === 'profile').datetime, 'the write has a time');
  r = buildView(ui({ rows: [{ ...withProfile, profile_writing: true }] }), opts).rows[0];
  assert.equal(r.times.find((t) => t.key === 'profile').text, 'copying…');
  assert.equal(buildView(ui(), opts).rows[1].times.find((t) => t.key === 'profile'), undefined, 'no profile, no line');
});

test('clear asks for confirmation in place', () => {
  const r = buildView(ui({ confirming: { demo: true } }), opts).rows[0];
  const clear = r.secondary.find((b) => b.action === 'clear');
  assert.deepEqual([clear.label, clear.confirming], ['Confirm clear', true]);
  assert.equal(r.confirmingClear, true);
});

test('interactive repair waits until the host pushes the row', () => {
  let state = ui();
  state = { ...state, waiting: { demo: true } };
  assert.equal(buildView(state, opts).rows[0].waiting, true);
  // An api echo does not end the wait...
  state = applyPush(state, { type: 'state', source: 'api', ids: ['demo'], connection: connected, rows: [{ ...expired, awaiting_interactive: true }] });
  assert.equal(buildView(state, opts).rows[0].waiting, true);
  // ...a pushed row still awaiting does not either...
  state = applyPush(state, { type: 'state', source: 'status.changed', ids: ['demo'], connection: connected, rows: [{ ...expired, awaiting_interactive: true }] });
  assert.equal(state.waiting.demo, true);
  // ...the completed one does.
  state = applyPush(state, { type: 'state', source: 'status.changed', ids: ['demo'], connection: connected, rows: [{ ...expired, health_key: 'healthy', health: 'Healthy', prompt: null }] });
  assert.equal(state.waiting.demo, undefined);
  assert.equal(buildView(state, opts).rows[0].waiting, false);
  assert.equal(buildView(state, opts).rows[0].health.key, 'healthy');
});

test('not connected states name the command that fixes them', () => {
  const missing = connectionView({ state: 'not_installed', message: 'Specified native messaging host not found.' }, opts);
  assert.equal(missing.label, 'Not connected');
  assert.equal(missing.problem.title, 'authbridge is not connected');
  assert.equal(missing.problem.command, 'authbridge install --browser chromium');
  assert.match(missing.problem.message, /not installed/);
  const chrome = connectionView({ state: 'not_installed' }, { ...opts, browser: 'chrome' });
  assert.equal(chrome.problem.command, 'authbridge install --browser chrome');
  const forbidden = connectionView({ state: 'forbidden' }, opts);
  assert.equal(forbidden.problem.command, 'authbridge install --browser chromium --extension-id ldpickkggldlkffgckonbokbiinckjpp');
  const exited = connectionView({ state: 'exited', message: 'Native host has exited.' }, opts);
  assert.equal(exited.problem.command, 'authbridge doctor');
  assert.match(exited.problem.message, /stopped/);
  assert.equal(connectionView({ state: 'connecting' }, opts).problem, null);
  const ok = connectionView(connected, opts);
  assert.deepEqual([ok.label, ok.tone, ok.title], ['Connected', 'ok', 'agent 0.1.0, bridge b1']);
});

test('buttons are disabled while not connected; stale rows stay visible', () => {
  const v = buildView(ui({ connection: { state: 'exited' } }), opts);
  assert.equal(v.rows.length, 3);
  assert.ok(v.rows.every((r) => r.primary.disabled && r.secondary.every((b) => b.disabled)));
});

test('empty and loading states', () => {
  assert.equal(buildView(ui({ rows: [] }), opts).empty, true);
  assert.equal(buildView(ui({ rows: [], rowsComplete: false }), opts).empty, false);
  const loading = buildView(ui({ rows: [], connection: { state: 'connecting' } }), opts);
  assert.deepEqual([loading.loading, loading.empty], [true, false]);
  assert.equal(buildView(ui({ rows: [healthy] }), opts).summary, '1 connector, all fine');
});

test('avatars use http(s) or image data icons, else a stable letter', () => {
  // A remote icon is never fetched (it would tell that host the popup opened).
  assert.equal(avatar(healthy).kind, 'letter');
  assert.equal(avatar(healthy).letter, 'G');
  assert.equal(avatar({ id: 'x', icon: 'http://example.com/x.png' }).kind, 'letter');
  assert.equal(avatar({ id: 'x', icon: '//example.com/x.png' }).kind, 'letter');
  assert.equal(avatar({ id: 'x', icon: 'icons/icon32.png' }).kind, 'image');
  assert.equal(avatar({ id: 'x', icon: '../icons/icon32.png' }).kind, 'letter');
  assert.equal(avatar({ id: 'x', icon: 'chrome-extension://otherextensionid/icons/a.png' }).kind, 'letter');
  assert.equal(avatar({ id: 'x', name: 'éclair', icon: 'javascript:alert(1)' }).kind, 'letter');
  assert.equal(avatar({ id: 'x', name: 'éclair' }).letter, 'É');
  assert.equal(avatar({ id: 'x', icon: 'data:image/png;base64,AAAA' }).kind, 'image');
  assert.equal(avatar({ id: 'x', icon: 'data:text/html;base64,AAAA' }).kind, 'letter');
  assert.equal(avatar({ id: 'same' }).color, avatar({ id: 'same' }).color);
});

test('helpers: action paths, browser flag, reason labels, notes', () => {
  assert.equal(actionPath('a b/c', 'verify'), '/v1/connectors/a%20b%2Fc/verify');
  assert.equal(actionPath('demo', 'interactive'), '/v1/connectors/demo/interactive');
  assert.equal(browserFlag([{ brand: 'Chromium' }, { brand: 'Not=A?Brand' }]), 'chromium');
  assert.equal(browserFlag([{ brand: 'Google Chrome' }, { brand: 'Chromium' }]), 'chrome');
  assert.equal(browserFlag(undefined), 'chromium');
  assert.equal(reasonLabel('MFA_OR_CHALLENGE_REQUIRED'), 'Second factor required');
  assert.equal(reasonLabel('SOMETHING_NEW'), 'Something new');
  assert.deepEqual(noteFor('verify', { error: { code: 'host_unreachable' } }), { kind: 'error', text: 'authbridge is not connected.' });
  assert.deepEqual(noteFor('verify', { result: { status: 404, body: { error: { code: 'not_found', message: 'no connector "x"' } } } }), { kind: 'error', text: 'no connector "x"' });
  assert.equal(noteFor('verify', { result: { status: 200, body: {} } }), null);
  assert.equal(noteFor('clear', { result: { status: 200, body: {} } }).kind, 'ok');
  // The interactive preflight repaired silently: the row says no tab opened.
  assert.match(noteFor('interactive', { result: { status: 200, body: { opened: false } } }).text, /without opening a sign-in tab/);
  assert.equal(noteFor('interactive', { result: { status: 200, body: { opened: true } } }), null);
});

test('the summary counts Unknown rows as not checked, never as fine', () => {
  const rows = (...keys) => keys.map((key) => ({ health: { key } }));
  const cases = [
    [rows(), ''],
    [rows('healthy'), '1 connector, all fine'],
    [rows('unknown'), '1 connector, not checked yet'],
    [rows('healthy', 'unknown'), '2 connectors: 1 fine, 1 not checked yet'],
    [rows('needs_attention', 'healthy'), '1 of 2 connectors needs attention'],
    [rows('needs_attention', 'unknown', 'unknown'), '1 of 3 connectors needs attention'],
  ];
  for (const [rs, want] of cases) assert.equal(summaryText(rs), want, rs.map((r) => r.health.key).join(','));
});

test('Firefox: the browser flag and the repair label name Firefox', () => {
  const ffUA = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
  assert.equal(browserFlag(undefined, ffUA), 'firefox');
  assert.equal(browserFlag([{ brand: 'Chromium' }], 'Mozilla/5.0 Chrome/156.0'), 'chromium');
  const labels = (browser) => buildView(ui(), { ...opts, browser }).rows.flatMap((r) => [r.primary, ...r.secondary].filter((b) => b.action === 'repair').map((b) => b.label));
  assert.ok(labels('firefox').length > 0);
  for (const l of labels('firefox')) assert.match(l, /Firefox/, l);
  for (const l of labels('firefox')) assert.doesNotMatch(l, /Chrome/, l);
  for (const l of labels('chromium')) assert.doesNotMatch(l, /Firefox/, l);
  const notInstalled = buildView({ ...ui(), connection: { state: 'not_installed' }, rows: [] }, { ...opts, browser: 'firefox' });
  assert.match(JSON.stringify(notInstalled.connection), /--browser firefox/);
});

test('a repair waiting for a held profile says so on the row', () => {
  const sentence = 'A running browser is using /p, so the sign-in will be written into it once that browser closes.';
  const rows = [{ ...healthy, profile_wait: sentence }, expired];
  const v = buildView(ui({ rows }), opts);
  const waiting = v.rows.find((r) => r.id === healthy.id);
  assert.equal(waiting.profileWait, sentence);
  assert.equal(v.rows.find((r) => r.id === expired.id).profileWait, '');
});

test('session_not_transferable offers signing in inside the connector’s browser as the one primary action', () => {
  const bound = {
    id: 'bound', name: 'Bound Site', domains: ['bound.test'], health: 'Needs Attention', health_key: 'needs_attention',
    reason: 'SESSION_EXPIRED', detail: 'session_not_transferable',
    prompt: {
      what: 'Bound Site session does not carry over from your browser',
      why: 'Bound Site ties its session to the browser you signed in with.',
      action: { id: 'sign_in_connector_browser', label: 'Sign in inside the connector\'s browser' },
    },
    last_failure_reason: 'SESSION_EXPIRED', last_failure_at: '2026-11-26T09:59:00Z',
  };
  const v = buildView(ui({ rows: [bound] }), opts);
  const r = v.rows[0];
  assert.equal(primaryAction(bound), 'sign_in_connector');
  assert.deepEqual([r.primary.action, r.primary.label, r.primary.primary], ['sign_in_connector', 'Sign in inside the connector\'s browser', true]);
  assert.deepEqual(r.secondary.map((b) => b.action), ['verify', 'repair', 'interactive', 'clear']);
  assert.equal(r.prompt.detail, 'session_not_transferable');
  assert.equal(actionPath('bound', 'sign_in_connector'), '/v1/connectors/bound/repair');
  assert.deepEqual(actionBody('sign_in_connector'), { in_connector_browser: true, timeout_ms: 110_000 });
  assert.ok(ACTIONS.sign_in_connector.body.timeout_ms < 120_000, 'the host gives up before the worker does');
  assert.deepEqual(actionBody('repair'), {});
  assert.equal(actionBody('clear'), null);
  // Busy while the host waits for the sign-in.
  const busy = buildView(ui({ rows: [bound], busy: { bound: 'sign_in_connector' } }), opts).rows[0];
  assert.deepEqual([busy.primary.label, busy.primary.busy], ['Waiting for your sign-in…', true]);
  // Its note once signed in; the other rows are not offered the action.
  const ok = { result: { status: 200, body: { result: { code: 'OK' }, row: { ...bound, health_key: 'healthy' } } } };
  assert.equal(noteFor('sign_in_connector', ok).kind, 'ok');
  assert.ok(!buildView(ui(), opts).rows.some((x) => [x.primary, ...x.secondary].some((b) => b.action === 'sign_in_connector')));
});

test('one primary action per row; the others are a menu, each with a line saying what it does', () => {
  const v = buildView(ui(), opts);
  for (const r of v.rows) {
    assert.equal(r.primary.primary, true);
    assert.ok(!r.secondary.some((b) => b.action === r.primary.action), `${r.id}: the primary action is in the menu too`);
    assert.deepEqual(r.secondary.map((b) => b.action), secondaryActions(r.primary.action));
    for (const b of [r.primary, ...r.secondary]) assert.ok(b.hint.length > 20, `${r.id} ${b.action}: no hint`);
    assert.equal(r.menuOpen, false);
  }
  const clear = v.rows[0].secondary.find((b) => b.action === 'clear');
  assert.match(clear.hint, /Your browser stays signed in/);
  // No jargon in what a person reads.
  const words = JSON.stringify(v.rows.map((r) => [r.times.map((t) => t.label), r.primary.label, r.secondary.map((b) => [b.label, b.hint])]));
  for (const jargon of [/headless/i, /interactive/i, /repair from/i]) assert.doesNotMatch(words, jargon);
  // The menu stays open while it is used: opened, or a clear in it confirming or running.
  assert.equal(buildView(ui({ menuOpen: { demo: true } }), opts).rows[0].menuOpen, true);
  assert.equal(buildView(ui({ confirming: { demo: true } }), opts).rows[0].menuOpen, true);
  assert.equal(buildView(ui({ busy: { demo: 'clear' } }), opts).rows[0].menuOpen, true);
  assert.equal(buildView(ui({ busy: { demo: 'repair' } }), opts).rows[0].menuOpen, false);
});
