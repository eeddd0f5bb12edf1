import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { LIVE_SETTINGS, RESTART_SETTINGS } from '../src/settings';

// Compiled to out/test/: the manifest is two folders up.
const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const contributed = Object.keys(manifest.contributes.configuration.properties);

describe('package.json contributions', () => {
  it('handles every setting it contributes: restart, live update or the client trace', () => {
    const handled = new Set<string>([...RESTART_SETTINGS, ...LIVE_SETTINGS, 'ndLsp.trace.server']);
    assert.deepEqual(contributed.filter((name) => !handled.has(name)), []);
    assert.deepEqual([...handled].filter((name) => !contributed.includes(name)), []);
  });

  it('keeps the settings that name programs out of untrusted workspaces', () => {
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, [...RESTART_SETTINGS]);
  });

  it('contributes a command for every activation event it lists', () => {
    const commands = manifest.contributes.commands.map((command: { command: string }) => command.command);
    const onCommand = manifest.activationEvents.filter((event: string) => event.startsWith('onCommand:'));
    assert.deepEqual(onCommand.filter((event: string) => !commands.includes(event.slice('onCommand:'.length))), []);
    assert.deepEqual(commands.sort(), ['ndLsp.restartServer', 'ndLsp.showOutput']);
  });
});
