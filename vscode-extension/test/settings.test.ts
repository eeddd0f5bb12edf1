import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { configurationPayload, statusText, toServerSettings } from '../src/settings';

describe('toServerSettings', () => {
  it('maps the defaults to "let the plugin decide" rather than "no rule"', () => {
    assert.deepEqual(toServerSettings({ navidromeVersion: '', select: [], ignore: [] }), {
      navidromeVersion: null,
      select: null,
      ignore: [],
    });
  });

  it('passes a version and normalises rule codes', () => {
    assert.deepEqual(toServerSettings({ navidromeVersion: ' 0.62.0 ', select: ['nd1', ' ND201 ', 'ND1'], ignore: ['nd304'] }), {
      navidromeVersion: '0.62.0',
      select: ['ND1', 'ND201'],
      ignore: ['ND304'],
    });
  });

  it('survives values of the wrong type from a hand-edited settings.json', () => {
    assert.deepEqual(toServerSettings({ navidromeVersion: 62, select: 'ND1, ND2', ignore: [3, 'ND3', null] }), {
      navidromeVersion: null,
      select: ['ND1', 'ND2'],
      ignore: ['ND3'],
    });
    assert.deepEqual(toServerSettings({}), { navidromeVersion: null, select: null, ignore: [] });
  });

  it('nests the settings under the section name the server reads', () => {
    assert.deepEqual(configurationPayload({ navidromeVersion: 'master' }), {
      'nd-lsp': { navidromeVersion: 'master', select: null, ignore: [] },
    });
  });
});

describe('statusText', () => {
  it("shows the server's target version and where it came from", () => {
    const status = statusText({ state: 'running', target: { version: '0.62.0', source: 'Cargo.toml nd-pdk tag v0.62.0' } });
    assert.equal(status.text, '$(check) Navidrome 0.62.0');
    assert.match(status.tooltip, /against Navidrome 0.62.0 \(Cargo.toml nd-pdk tag v0.62.0\)/);
  });

  it('falls back to the configured version, then to the newest release', () => {
    assert.equal(statusText({ state: 'running', configuredVersion: '0.61.1' }).text, '$(check) Navidrome 0.61.1');
    assert.equal(statusText({ state: 'running', configuredVersion: '' }).text, '$(check) Navidrome: newest release');
  });

  it('says when the server is not running and why', () => {
    const failed = statusText({ state: 'failed', problem: 'nd-lsp is not installed', configuredVersion: '0.62.0' });
    assert.equal(failed.text, '$(error) nd-lsp');
    assert.match(failed.tooltip, /not installed/);
  });
});
