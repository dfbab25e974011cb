import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));

test('the key gives the stable extension ID', () => {
  const hex = createHash('sha256').update(Buffer.from(manifest.key, 'base64')).digest('hex').slice(0, 32);
  const id = [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
  assert.equal(id, 'ldpickkggldlkffgckonbokbiinckjpp');
});

test('least privilege: only the permissions the features need', () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.name, 'authbridge');
  // contextualIdentities: Firefox containers by name (source_store); Chromium ignores it.
  assert.deepEqual(manifest.permissions, ['nativeMessaging', 'cookies', 'contextualIdentities']);
  // No site at install: each connector's sites are granted from the popup.
  assert.equal(manifest.host_permissions, undefined);
  assert.deepEqual(manifest.optional_host_permissions, ['*://*/*']);
  assert.equal(manifest.externally_connectable, undefined);
  assert.equal(manifest.content_scripts, undefined);
  assert.deepEqual(manifest.background, { service_worker: 'background.js', scripts: ['background.js'], type: 'module' });
});

test('one folder for Chromium and Firefox: both background entries and a fixed gecko id', () => {
  // Chrome 121+ uses service_worker and ignores scripts; Firefox 121+ uses scripts.
  assert.equal(manifest.background.service_worker, manifest.background.scripts[0]);
  const gecko = manifest.browser_specific_settings?.gecko;
  assert.equal(gecko?.id, 'authbridge@authbridge.dev');
  assert.match(gecko.strict_min_version, /^\d+\.0$/);
  assert.ok(Number.parseInt(gecko.strict_min_version, 10) >= 121, 'Firefox 121+ reads background.scripts beside service_worker');
});

test('Firefox is told what is sent: authentication data (cookies) to the native host', () => {
  assert.deepEqual(manifest.browser_specific_settings.gecko.data_collection_permissions, { required: ['authenticationInfo'] });
});

test('every file the manifest names exists', () => {
  const files = [manifest.background.service_worker, manifest.action.default_popup, ...Object.values(manifest.icons), ...Object.values(manifest.action.default_icon)];
  for (const f of files) assert.ok(existsSync(join(root, f)), f);
});

test('no remote code: scripts load only local modules', () => {
  const html = readFileSync(join(root, 'popup.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src="https?:/);
  assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script');
  for (const f of ['background.js', 'popup.js', ...readdirSync(join(root, 'lib')).map((f) => `lib/${f}`)]) {
    const src = readFileSync(join(root, f), 'utf8');
    assert.doesNotMatch(src, /\bimport\s*\(|from\s+['"]https?:|\beval\s*\(|new Function\b/, f);
  }
});

test('no cookie value is ever logged', () => {
  for (const f of ['background.js', 'popup.js', ...readdirSync(join(root, 'lib')).map((f) => `lib/${f}`)]) {
    const src = readFileSync(join(root, f), 'utf8');
    for (const line of src.split('\n')) {
      if (/\b(console|log)\.(log|info|warn|error)\b/.test(line)) assert.doesNotMatch(line, /\.value\b|cookies\b(?!\))/, `${f}: ${line.trim()}`);
    }
  }
});
