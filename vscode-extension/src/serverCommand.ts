/**
 * Which program runs the nd-lsp server, and how to tell the user when it cannot start.
 *
 * Nothing here imports `vscode`, so the node test runner covers it (test/serverCommand.test.ts).
 */

import * as os from 'node:os';
import * as path from 'node:path';

/** The extension does not bundle the server: it runs the user's nd-lsp, found through these. */
export interface ServerLocation {
  /** `ndLsp.server.path`: an `nd-lsp` program; wins over everything else. */
  serverPath: string;
  /** `ndLsp.server.python`: an interpreter that has nd-lsp installed. */
  pythonSetting: string;
  /** The interpreter selected in the Python extension, when it is installed. */
  pythonFromExtension?: string;
  /** The first workspace folder, for `${workspaceFolder}` in the settings. */
  workspaceFolder?: string;
  /** The user's home, for `~` and `${userHome}` (the real one unless a test says otherwise). */
  home?: string;
}

export type ServerSource = 'server.path' | 'server.python' | 'Python extension' | 'default';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Which setting chose the command, for messages: "set by ndLsp.server.python". */
  source: ServerSource;
  /** The interpreter when the server runs as `python -m nd_lsp`; undefined for an `nd-lsp` program. */
  python?: string;
}

export const DEFAULT_PYTHON = process.platform === 'win32' ? 'python' : 'python3';
const SERVE_ARGS = ['serve'];

/** The server's command line: the `nd-lsp` program if set, else `<python> -m nd_lsp serve`. */
export function chooseServerCommand(location: ServerLocation): ServerCommand {
  const serverPath = expandVariables(location.serverPath, location);
  if (serverPath) {
    return { command: serverPath, args: SERVE_ARGS, source: 'server.path' };
  }
  const configured = expandVariables(location.pythonSetting, location);
  const fromExtension = location.pythonFromExtension?.trim();
  const [python, source]: [string, ServerSource] = configured
    ? [configured, 'server.python']
    : fromExtension
      ? [fromExtension, 'Python extension']
      : [DEFAULT_PYTHON, 'default'];
  return { command: python, args: ['-m', 'nd_lsp', ...SERVE_ARGS], source, python };
}

/** The command that checks, before the client starts, that the server is there: `... --version`. */
export function probeCommand(server: ServerCommand): { command: string; args: string[] } {
  const args = server.python === undefined ? ['--version'] : ['-m', 'nd_lsp', '--version'];
  return { command: server.command, args };
}

/** `~`, `${userHome}` and `${workspaceFolder}` as VS Code users write them in path settings. */
export function expandVariables(value: string, location: Pick<ServerLocation, 'home' | 'workspaceFolder'>): string {
  const home = location.home ?? os.homedir();
  let expanded = value.trim().replaceAll('${userHome}', home);
  if (location.workspaceFolder !== undefined) {
    expanded = expanded.replaceAll('${workspaceFolder}', location.workspaceFolder);
  }
  if (expanded === '~' || expanded.startsWith('~/') || expanded.startsWith('~\\')) {
    expanded = path.join(home, expanded.slice(1));
  }
  return expanded;
}

/** How the probe ended: what a child process reports, without the `vscode` or `child_process` types. */
export interface ProbeOutcome {
  /** The spawn error's code, e.g. "ENOENT" when the program does not exist. */
  spawnError?: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export type ProbeVerdict =
  | { ok: true; version: string }
  | { ok: false; kind: 'program-missing' | 'not-installed' | 'failed'; detail: string };

/** Whether the server can start, and if not, why: the program is missing, or nd-lsp is not installed. */
export function judgeProbe(outcome: ProbeOutcome): ProbeVerdict {
  const output = `${outcome.stderr}\n${outcome.stdout}`.trim();
  if (outcome.spawnError === 'ENOENT' || outcome.spawnError === 'EACCES') {
    return { ok: false, kind: 'program-missing', detail: outcome.spawnError };
  }
  if (outcome.spawnError !== undefined) {
    return { ok: false, kind: 'failed', detail: outcome.spawnError };
  }
  if (outcome.timedOut) {
    return { ok: false, kind: 'failed', detail: 'it did not answer `--version` in time' };
  }
  if (outcome.exitCode === 0) {
    return { ok: true, version: outcome.stdout.trim().split('\n')[0] ?? '' };
  }
  // `python -m nd_lsp` without the package: "No module named nd_lsp"; a half-installed one misses a dependency.
  if (/No module named '?nd_lsp'?(\s|$)/.test(output)) {
    return { ok: false, kind: 'not-installed', detail: lastLines(output) };
  }
  return { ok: false, kind: 'failed', detail: lastLines(output) || `exit status ${outcome.exitCode}` };
}

/** The command that installs nd-lsp for the interpreter the extension runs. */
export function installCommand(server: ServerCommand): string {
  const python = server.python ?? DEFAULT_PYTHON;
  return `${quoteForShell(python)} -m pip install nd-lsp`;
}

export interface ProblemReport {
  message: string;
  /** The setting whose change fixes it, opened by the message's button. */
  setting: 'ndLsp.server.path' | 'ndLsp.server.python';
  installCommand: string;
}

/** The error message shown when the server cannot start, naming the program, the setting and the fix. */
export function describeProblem(server: ServerCommand, verdict: ProbeVerdict & { ok: false }): ProblemReport {
  const setting = server.python === undefined ? 'ndLsp.server.path' : 'ndLsp.server.python';
  const install = installCommand(server);
  const chosenBy = describeSource(server.source);
  let message: string;
  if (server.python === undefined) {
    message =
      verdict.kind === 'program-missing'
        ? `nd-lsp: the server program "${server.command}" (${chosenBy}) does not exist or cannot be run. ` +
          `Fix ndLsp.server.path, or clear it to run nd-lsp with Python.`
        : `nd-lsp: "${server.command} --version" failed (${chosenBy}): ${verdict.detail}`;
  } else if (verdict.kind === 'program-missing') {
    message =
      `nd-lsp: the Python interpreter "${server.command}" (${chosenBy}) was not found. ` +
      `Set ndLsp.server.python to an interpreter, then install the server: ${install}`;
  } else if (verdict.kind === 'not-installed') {
    message =
      `nd-lsp is not installed for the Python interpreter "${server.command}" (${chosenBy}). ` +
      `Install it with: ${install}, then run "nd-lsp: Restart Server"; or point ndLsp.server.python at an ` +
      'interpreter that has it.';
  } else {
    message = `nd-lsp: "${server.command} -m nd_lsp --version" failed (${chosenBy}): ${verdict.detail}`;
  }
  return { message, setting, installCommand: install };
}

export function describeSource(source: ServerSource): string {
  switch (source) {
    case 'server.path':
      return 'set by ndLsp.server.path';
    case 'server.python':
      return 'set by ndLsp.server.python';
    case 'Python extension':
      return 'the interpreter selected in the Python extension';
    case 'default':
      return 'the default, as ndLsp.server.python is empty';
  }
}

function lastLines(text: string, count = 3): string {
  return text.split('\n').filter((line) => line.trim()).slice(-count).join(' ').trim();
}

function quoteForShell(value: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(value) ? value : `"${value.replaceAll('"', '\\"')}"`;
}
