import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_PYTHON,
  chooseServerCommand,
  describeProblem,
  expandVariables,
  installCommand,
  judgeProbe,
  probeCommand,
  type ProbeVerdict,
} from '../src/serverCommand';

const HOME = '/home/ann';

describe('chooseServerCommand', () => {
  it('runs the nd-lsp program of ndLsp.server.path, over everything else', () => {
    const server = chooseServerCommand({
      serverPath: ' /opt/nd/bin/nd-lsp ',
      pythonSetting: '/usr/bin/python3.12',
      pythonFromExtension: '/venv/bin/python',
      home: HOME,
    });
    assert.deepEqual(server, { command: '/opt/nd/bin/nd-lsp', args: ['serve'], source: 'server.path' });
  });

  it('runs `python -m nd_lsp serve` with ndLsp.server.python before the Python extension', () => {
    const server = chooseServerCommand({ serverPath: '', pythonSetting: '/usr/bin/python3.12', pythonFromExtension: '/venv/bin/python' });
    assert.equal(server.command, '/usr/bin/python3.12');
    assert.deepEqual(server.args, ['-m', 'nd_lsp', 'serve']);
    assert.equal(server.source, 'server.python');
  });

  it("uses the Python extension's interpreter when both settings are empty", () => {
    const server = chooseServerCommand({ serverPath: '  ', pythonSetting: '', pythonFromExtension: '/work/.venv/bin/python' });
    assert.equal(server.command, '/work/.venv/bin/python');
    assert.equal(server.source, 'Python extension');
    assert.equal(server.python, '/work/.venv/bin/python');
  });

  it('falls back to python3 without settings or Python extension', () => {
    const server = chooseServerCommand({ serverPath: '', pythonSetting: '', pythonFromExtension: ' ' });
    assert.equal(server.command, DEFAULT_PYTHON);
    assert.equal(server.source, 'default');
  });

  it('expands ~ and ${workspaceFolder} in the settings', () => {
    const fromHome = chooseServerCommand({ serverPath: '~/.local/bin/nd-lsp', pythonSetting: '', home: HOME });
    assert.equal(fromHome.command, '/home/ann/.local/bin/nd-lsp');
    const fromFolder = chooseServerCommand({
      serverPath: '',
      pythonSetting: '${workspaceFolder}/.venv/bin/python',
      workspaceFolder: '/src/plugin',
      home: HOME,
    });
    assert.equal(fromFolder.command, '/src/plugin/.venv/bin/python');
  });
});

describe('expandVariables', () => {
  it('leaves a tilde inside a path and an unknown workspace folder alone', () => {
    assert.equal(expandVariables('/a/~b', { home: HOME }), '/a/~b');
    assert.equal(expandVariables('${workspaceFolder}/x', { home: HOME }), '${workspaceFolder}/x');
    assert.equal(expandVariables('${userHome}/bin/nd-lsp', { home: HOME }), '/home/ann/bin/nd-lsp');
  });
});

describe('probeCommand', () => {
  it('asks the program or the module for its version', () => {
    assert.deepEqual(probeCommand(chooseServerCommand({ serverPath: '/bin/nd-lsp', pythonSetting: '' })), {
      command: '/bin/nd-lsp',
      args: ['--version'],
    });
    assert.deepEqual(probeCommand(chooseServerCommand({ serverPath: '', pythonSetting: 'py' })), {
      command: 'py',
      args: ['-m', 'nd_lsp', '--version'],
    });
  });
});

describe('judgeProbe', () => {
  it('accepts a zero exit status and keeps the version line', () => {
    const verdict = judgeProbe({ exitCode: 0, stdout: 'nd-lsp 0.1.0 (Navidrome specs: 0.60.0 to master)\n', stderr: '' });
    assert.deepEqual(verdict, { ok: true, version: 'nd-lsp 0.1.0 (Navidrome specs: 0.60.0 to master)' });
  });

  it('recognises a missing module as "not installed"', () => {
    const verdict = judgeProbe({
      exitCode: 1,
      stdout: '',
      stderr: '/usr/bin/python3: No module named nd_lsp\n',
    });
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.kind, 'not-installed');
  });

  it('does not take a missing dependency of nd-lsp for a missing nd-lsp', () => {
    const verdict = judgeProbe({
      exitCode: 1,
      stdout: '',
      stderr: "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'pygls'\n",
    });
    assert.equal(!verdict.ok && verdict.kind, 'failed');
    assert.match(!verdict.ok ? verdict.detail : '', /pygls/);
  });

  it('tells a missing program from a failing one', () => {
    assert.equal(judgeProbe({ spawnError: 'ENOENT', exitCode: null, stdout: '', stderr: '' }).ok, false);
    const missing = judgeProbe({ spawnError: 'ENOENT', exitCode: null, stdout: '', stderr: '' });
    assert.equal(!missing.ok && missing.kind, 'program-missing');
    const slow = judgeProbe({ exitCode: null, stdout: '', stderr: '', timedOut: true });
    assert.equal(!slow.ok && slow.kind, 'failed');
  });
});

describe('describeProblem', () => {
  const notInstalled: ProbeVerdict & { ok: false } = { ok: false, kind: 'not-installed', detail: 'No module named nd_lsp' };

  it('names the interpreter, where it came from, the install command and the setting to change', () => {
    const server = chooseServerCommand({ serverPath: '', pythonSetting: '', pythonFromExtension: '/venv/bin/python' });
    const problem = describeProblem(server, notInstalled);
    assert.match(problem.message, /nd-lsp is not installed for the Python interpreter "\/venv\/bin\/python"/);
    assert.match(problem.message, /selected in the Python extension/);
    assert.match(problem.message, /\/venv\/bin\/python -m pip install nd-lsp, then run "nd-lsp: Restart Server"/);
    assert.equal(problem.setting, 'ndLsp.server.python');
    assert.equal(problem.installCommand, '/venv/bin/python -m pip install nd-lsp');
  });

  it('points at ndLsp.server.path when that program is missing', () => {
    const server = chooseServerCommand({ serverPath: '/nowhere/nd-lsp', pythonSetting: '' });
    const problem = describeProblem(server, { ok: false, kind: 'program-missing', detail: 'ENOENT' });
    assert.match(problem.message, /"\/nowhere\/nd-lsp" \(set by ndLsp.server.path\) does not exist/);
    assert.equal(problem.setting, 'ndLsp.server.path');
  });

  it('quotes an interpreter path with spaces in the install command', () => {
    const server = chooseServerCommand({ serverPath: '', pythonSetting: '/Users/Ann Lee/venv/bin/python' });
    assert.equal(installCommand(server), '"/Users/Ann Lee/venv/bin/python" -m pip install nd-lsp');
  });
});
