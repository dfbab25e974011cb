import test from 'node:test';
import assert from 'node:assert/strict';
import { acceptLanguage } from '../lib/worker.js';

test('acceptLanguage builds the header Chromium sends from navigator.languages', () => {
  assert.equal(acceptLanguage(['en-GB', 'en', 'de']), 'en-GB,en;q=0.9,de;q=0.8');
  assert.equal(acceptLanguage(['fr']), 'fr');
  assert.equal(acceptLanguage(undefined), '');
  assert.equal(acceptLanguage(['en', 'bad value\r\n', 42]), 'en', 'anything not a language tag is left out');
  assert.equal(acceptLanguage(Array.from({ length: 30 }, (_, i) => `l${i}`)).split(',').length, 10);
});
