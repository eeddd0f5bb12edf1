// End-to-end test of the nd-lsp extension in a real VS Code: code-server with the built .vsix installed,
// a copy of fixture-plugin/ opened, driven through headless Chromium by playwright-core.
//
//   node run-e2e.mjs --vsix ../dist/nd-lsp.vsix --python /path/to/python-with-nd-lsp
//
// It checks what a user sees: the nd-lsp finding in the Problems panel, the target version in the status
// bar, a version setting reaching the running server, a quick fix that rewrites the file, completion after
// `nd_pdk::register_`, schema validation of manifest.json, and the message for a Python without nd-lsp.
// Screenshots and the extension's logs go to artifacts/.
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    vsix: { type: 'string', default: join(here, '..', 'dist', 'nd-lsp.vsix') },
    python: { type: 'string', default: 'python3' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    artifacts: { type: 'string', default: join(here, 'artifacts') },
    'keep-temp': { type: 'boolean', default: false },
  },
});

const NODE24 = join(here, 'node24', 'node_modules', '.bin', 'node');
const CODE_SERVER = join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const FIXTURE = join(here, 'fixture-plugin');
const EXTENSION_ID = 'nd-lsp.nd-lsp';
const WRONG_MACRO = 'register_artist_biography';
const RIGHT_MACRO = 'register_metadata_artist_biography';
const STEP_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 8 * 60_000;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const step = (text) => console.log(`[e2e ${elapsed()}] ${text}`);

async function main() {
  const temp = await mkdtemp(join(tmpdir(), 'nd-lsp-e2e-'));
  const dirs = {
    userData: join(temp, 'user-data'),
    extensions: join(temp, 'extensions'),
    xdg: join(temp, 'xdg'),
    workspace: join(temp, 'e2e-biography'),
  };
  await mkdir(options.artifacts, { recursive: true });
  await cp(FIXTURE, dirs.workspace, { recursive: true });
  await writeUserSettings(dirs.userData);
  const serverLog = join(options.artifacts, 'code-server.log');
  let codeServer;
  let browser;
  let page;
  try {
    installExtension(dirs);
    const port = await freePort();
    codeServer = await startCodeServer(dirs, port, serverLog);
    browser = await chromium.launch({
      executablePath: options.chromium,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await checkInVsCode(page, port, dirs.workspace, dirs.userData);
    await checkManifestSchema(page);
    await checkMissingServer(page, dirs, temp);
    step('PASS');
  } catch (error) {
    await page?.screenshot({ path: join(options.artifacts, 'vscode-failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    await browser?.close().catch(() => undefined);
    await stopCodeServer(codeServer);
    await copyExtensionHostLog(dirs.userData);
    if (!options['keep-temp']) {
      await rm(temp, { recursive: true, force: true });
    } else {
      step(`kept ${temp}`);
    }
  }
}

/** Settings for a quiet, offline, trusted VS Code that runs nd-lsp with the given interpreter. */
async function writeUserSettings(userData) {
  const settings = {
    'ndLsp.trace.server': 'verbose',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'json.schemaDownload.enable': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'git.enabled': false,
    'editor.quickSuggestions': { other: false, comments: false, strings: false },
    'editor.acceptSuggestionOnEnter': 'off',
    'files.autoSave': 'off',
  };
  await writeJson(join(userData, 'User', 'settings.json'), settings);
  // The server settings name programs on the machine that runs the extension: code-server's window is a
  // remote one, so VS Code takes them from the Remote (machine) settings, not from the browser's User ones.
  await writeJson(join(userData, 'Machine', 'settings.json'), { 'ndLsp.server.python': options.python });
}

async function writeJson(path, value) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(value, null, 2));
}

function codeServerArgs(dirs) {
  return [
    CODE_SERVER,
    '--config',
    join(dirs.xdg, 'config.yaml'),
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
  ];
}

function codeServerEnv(dirs) {
  // Keep code-server's own files (config, logs, caches) inside the temporary folder.
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
    XDG_DATA_HOME: join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
    XDG_STATE_HOME: join(dirs.xdg, 'state'),
  };
}

function installExtension(dirs) {
  step(`installing ${options.vsix}`);
  const result = spawnSync(NODE24, [...codeServerArgs(dirs), '--install-extension', resolve(options.vsix), '--force'], {
    env: codeServerEnv(dirs),
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !output.includes('successfully installed')) {
    throw new Error(`installing the extension failed (status ${result.status}):\n${output}`);
  }
  const listed = spawnSync(NODE24, [...codeServerArgs(dirs), '--list-extensions'], {
    env: codeServerEnv(dirs),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert(listed.stdout.split('\n').includes(EXTENSION_ID), `code-server lists ${EXTENSION_ID}: ${listed.stdout}`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function startCodeServer(dirs, port, logPath) {
  step(`starting code-server on 127.0.0.1:${port}`);
  const args = [
    ...codeServerArgs(dirs),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    dirs.workspace,
  ];
  // Its own process group, so that stopping it also stops the extension host and nd-lsp.
  const child = spawn(NODE24, args, { env: codeServerEnv(dirs), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', () => writeFile(logPath, output).catch(() => undefined));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) {
        return { child, output: () => output, logPath };
      }
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`code-server did not answer on port ${port}:\n${output}`);
}

async function stopCodeServer(codeServer) {
  if (!codeServer) {
    return;
  }
  const { child } = codeServer;
  if (child.exitCode === null) {
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, sleep(5_000)]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // stopped by SIGTERM
    }
  }
  await writeFile(codeServer.logPath, codeServer.output()).catch(() => undefined);
}

/** The extension host's log and the nd-lsp output channels, for reading after a run. */
async function copyExtensionHostLog(userData) {
  const found = spawnSync('find', [join(userData, 'logs'), '-name', '*nd-lsp*.log', '-o', '-name', 'remoteexthost.log'], {
    encoding: 'utf8',
  });
  for (const path of (found.stdout ?? '').split('\n').filter(Boolean)) {
    const name = basename(path).replace(/^\d+-/, '').replaceAll(' ', '-');
    await cp(path, join(options.artifacts, name)).catch(() => undefined);
  }
}

async function checkInVsCode(page, port, workspace, userData) {
  step('opening the workspace in VS Code');
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor();

  await openFile(page, 'lib.rs');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: WRONG_MACRO }).waitFor();

  step('waiting for the nd-lsp finding in the Problems panel');
  await runCommand(page, 'workbench.action.problems.focus', 'Focus Problems');
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'ND103' }).first();
  await problem.waitFor();
  const problemText = await problem.innerText();
  assert(problemText.includes('nd-lsp'), `the Problems row names its source nd-lsp: ${problemText}`);
  assert(problemText.includes(RIGHT_MACRO), `the Problems row suggests ${RIGHT_MACRO}: ${problemText}`);
  // The fixture's Cargo.toml pins nd-pdk v0.63.2, which the server names when it answers the extension's
  // `nd-lsp/targetVersion` request; without an answer the status bar shows the fallback.
  const status = page.locator('.statusbar-item', { hasText: 'Navidrome' }).first();
  await status.waitFor();
  if (await serverAnsweredTargetVersion(userData)) {
    await page.locator('.statusbar-item', { hasText: 'Navidrome 0.63.2' }).first().waitFor();
  } else {
    step('the server does not answer nd-lsp/targetVersion: the status bar shows the fallback');
    await page.locator('.statusbar-item', { hasText: 'Navidrome: newest release' }).first().waitFor();
  }
  step(`status bar: ${(await status.innerText()).trim()}`);
  await page.screenshot({ path: join(options.artifacts, 'vscode-problems.png') });

  step('ndLsp.navidromeVersion reaches the running server');
  await setInSettingsEditor(page, 'ndLsp.navidromeVersion', 'Navidrome Version', '0.61.0');
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'ND103' }).filter({ hasText: 'Navidrome 0.61.0' }).waitFor();
  await closeSettingsEditor(page); // the status bar item shows for plugin files only
  await page.locator('.statusbar-item', { hasText: 'Navidrome 0.61.0' }).first().waitFor();
  await setInSettingsEditor(page, 'ndLsp.navidromeVersion', 'Navidrome Version', '');
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'ND103' }).filter({ hasText: 'Navidrome 0.63.2' }).waitFor();
  await closeSettingsEditor(page);

  step('applying the quick fix');
  const source = join(workspace, 'src', 'lib.rs');
  const original = await readFile(source, 'utf8');
  await runCommand(page, 'workbench.action.gotoLine', 'Go to Line', positionOf(original, WRONG_MACRO));
  await runCommand(page, 'editor.action.quickFix', 'Quick Fix');
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: RIGHT_MACRO }).first();
  await fix.waitFor();
  await fix.click();
  await editor.locator('.view-lines', { hasText: `nd_pdk::${RIGHT_MACRO}!(MyPlugin);` }).waitFor();
  await runCommand(page, 'workbench.action.files.save', 'File: Save');
  await waitFor(async () => (await readFile(source, 'utf8')) !== original, 'the fixed file is saved');
  const saved = await readFile(source, 'utf8');
  assert(
    saved === original.replace(`nd_pdk::${WRONG_MACRO}!`, `nd_pdk::${RIGHT_MACRO}!`),
    `the quick fix renames the macro and changes nothing else:\n${saved}`,
  );

  step('waiting for the finding to go away');
  await runCommand(page, 'workbench.action.problems.focus', 'Focus Problems');
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'ND103' }).waitFor({ state: 'detached' });
  await page.screenshot({ path: join(options.artifacts, 'vscode-fixed.png') });

  step('completion after nd_pdk::register_');
  await runCommand(page, 'workbench.action.focusActiveEditorGroup', 'Focus Active Editor Group');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('nd_pdk::register_', { delay: 20 });
  await page.keyboard.press('Control+Space');
  const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: RIGHT_MACRO }).first();
  await suggestion.waitFor();
  await page.screenshot({ path: join(options.artifacts, 'vscode-completion.png') });
  await page.keyboard.press('Escape');
  await runCommand(page, 'workbench.action.files.revert', 'Revert File');
}

/** manifest.json is validated against the schema the extension ships (VS Code's JSON support, not nd-lsp). */
async function checkManifestSchema(page) {
  step('schema validation of manifest.json');
  await openFile(page, 'manifest.json');
  await runCommand(page, 'workbench.action.gotoLine', 'Go to Line', '2:1');
  await page.keyboard.type('"permisions": {},\n', { delay: 10 });
  await runCommand(page, 'workbench.action.problems.focus', 'Focus Problems');
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'Property permisions is not allowed' });
  await problem.first().waitFor();
  await page.screenshot({ path: join(options.artifacts, 'vscode-manifest-schema.png') });
  await runCommand(page, 'workbench.action.focusActiveEditorGroup', 'Focus Active Editor Group');
  await runCommand(page, 'workbench.action.files.revert', 'Revert File');
  await problem.first().waitFor({ state: 'detached' });
}

/** A Python without nd-lsp: the extension says so, with a button that opens the setting. */
async function checkMissingServer(page, dirs, temp) {
  step('switching ndLsp.server.python to a Python without nd-lsp');
  const venv = join(temp, 'bare-venv');
  const created = spawnSync(options.python, ['-m', 'venv', '--without-pip', venv], { encoding: 'utf8' });
  assert(created.status === 0, `python -m venv works: ${created.stderr}`);
  // As a user would, in the Settings editor (the Remote tab: see writeUserSettings). The extension
  // restarts the server with the new interpreter.
  await setInSettingsEditor(page, 'ndLsp.server.python', 'Server: Python', join(venv, 'bin', 'python'), 'Remote');
  const toast = page.locator('.notification-toast', { hasText: 'nd-lsp is not installed for the Python interpreter' });
  await toast.waitFor();
  const message = await toast.innerText();
  assert(message.includes(`${join(venv, 'bin', 'python')} -m pip install nd-lsp`), `the message has the install command: ${message}`);
  await page.locator('.statusbar-item', { hasText: 'nd-lsp', has: page.locator('.codicon-error') }).first().waitFor();
  await sleep(500); // the toast fades in
  await page.screenshot({ path: join(options.artifacts, 'vscode-not-installed.png') });
  // Close the Settings editor, so that the button has to open it again.
  await closeSettingsEditor(page);
  await toast.getByRole('button', { name: 'Open Setting' }).click();
  await page.locator('.settings-editor .setting-item-contents', { hasText: 'Server: Python' }).first().waitFor();
}

/** Types `value` into one setting of the Settings editor; `tab` is "User" (the default) or "Remote". */
async function setInSettingsEditor(page, id, title, value, tab) {
  if (!(await page.locator('.settings-editor').isVisible())) {
    await runCommand(page, 'workbench.action.openSettings2', 'Open Settings (UI)');
  }
  // The search box is a small editor: click it, select what it holds and type over it.
  const search = page.locator('.settings-editor .suggest-input-container').first();
  await search.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(id);
  if (tab) {
    await page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: tab }).click();
  }
  const setting = page.locator('.settings-editor .setting-item-contents', { hasText: title }).first();
  await setting.locator('input').fill(value);
}

async function closeSettingsEditor(page) {
  const settingsEditor = page.locator('.settings-editor');
  await waitFor(async () => {
    await page.keyboard.press('Escape');
    return !(await settingsEditor.isVisible());
  }, 'the Settings editor closes');
}

/** Whether the "nd-lsp Trace" output (verbose) shows a result for `nd-lsp/targetVersion`, after a moment. */
async function serverAnsweredTargetVersion(userData) {
  const answered = /Received response 'nd-lsp\/targetVersion[^\n]*\nResult: \{/;
  try {
    await waitFor(async () => {
      const found = spawnSync('find', [join(userData, 'logs'), '-name', '*nd-lsp Trace.log'], { encoding: 'utf8' });
      for (const path of (found.stdout ?? '').split('\n').filter(Boolean)) {
        if (answered.test(await readFile(path, 'utf8'))) {
          return true;
        }
      }
      return false;
    }, 'an answer to nd-lsp/targetVersion', 5_000);
    return true;
  } catch {
    return false;
  }
}

/** "line:column" (1-based) of the first occurrence of `text`, for the Go to Line box. */
function positionOf(content, text) {
  const lines = content.split('\n');
  const line = lines.findIndex((candidate) => candidate.includes(text));
  assert(line >= 0, `the fixture contains ${text}`);
  return `${line + 1}:${lines[line].indexOf(text) + 1}`;
}

async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
}

/**
 * Runs a command from the command palette, picked by its id (titles vary between VS Code releases);
 * `argument` answers the palette's follow-up input.
 */
async function runCommand(page, id, search, argument) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${search}`);
  await page.locator(`.quick-input-widget .quick-input-list-entry[data-quick-input-id="${id}"]`).click();
  if (argument !== undefined) {
    await input.fill(`:${argument}`);
    await page.keyboard.press('Enter');
  }
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

async function waitFor(condition, what, timeout = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await condition()) {
      return;
    }
    await sleep(200);
  }
  throw new Error(`timed out: ${what}`);
}

function assert(condition, what) {
  if (!condition) {
    throw new Error(`assertion failed: ${what}`);
  }
}

function sleep(ms) {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

const timer = setTimeout(() => {
  console.error(`[e2e] FAIL: gave up after ${TOTAL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
main().then(
  () => {
    clearTimeout(timer);
  },
  (error) => {
    clearTimeout(timer);
    console.error(`[e2e ${elapsed()}] FAIL: ${error.stack ?? error}`);
    process.exitCode = 1;
  },
);
