/** The VS Code side of nd-lsp: starts the user's nd-lsp server and keeps it in step with the settings. */

import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  ResponseError,
  State,
  TransportKind,
  type ConfigurationParams,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import { onInterpreterChange, selectedInterpreter } from './pythonExtension';
import {
  chooseServerCommand,
  describeProblem,
  describeSource,
  judgeProbe,
  probeCommand,
  type ProbeOutcome,
  type ServerCommand,
} from './serverCommand';
import {
  LIVE_SETTINGS,
  RESTART_SETTINGS,
  SERVER_SECTION,
  configurationPayload,
  statusText,
  toServerSettings,
  type EditorSettings,
  type ServerState,
  type TargetVersion,
} from './settings';
import { TraceChannel } from './traceChannel';

// The client reads `ndLsp.trace.server` through this id.
const CLIENT_ID = 'ndLsp';
const CONFIGURATION_SECTION = 'ndLsp';
const TARGET_VERSION_REQUEST = 'nd-lsp/targetVersion';
const METHOD_NOT_FOUND = -32601;
const PROBE_TIMEOUT_MS = 30_000;

/** The files nd-lsp analyses: plugin sources and the manifest, on disk. */
const DOCUMENT_SELECTOR: { scheme: string; language?: string; pattern?: string }[] = [
  { scheme: 'file', language: 'rust' },
  { scheme: 'file', language: 'go' },
  { scheme: 'file', language: 'python' },
  { scheme: 'file', pattern: '**/manifest.json' },
];

let controller: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('nd-lsp', { log: true });
  const trace = new TraceChannel('nd-lsp Trace', `${CONFIGURATION_SECTION}.trace.server`);
  controller = new ServerController(log, trace);
  context.subscriptions.push(
    log,
    trace,
    controller,
    vscode.commands.registerCommand('ndLsp.restartServer', () => controller?.restart()),
    vscode.commands.registerCommand('ndLsp.showOutput', () => log.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => controller?.onConfigurationChanged(event)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => controller?.restart()),
  );
  const interpreterWatch = await onInterpreterChange(() => controller?.onInterpreterChanged());
  if (interpreterWatch) {
    context.subscriptions.push(interpreterWatch);
  }
  // Not awaited: VS Code waits for activate(), and a slow Python must not hold up the rest of the window.
  void controller.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}

/** Starts, restarts and stops the language client, one operation at a time. */
class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private server: ServerCommand | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly status: VersionStatus;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly trace: TraceChannel,
  ) {
    this.status = new VersionStatus(() => this.client);
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (RESTART_SETTINGS.some((name) => event.affectsConfiguration(name))) {
      this.log.info('The server settings changed: restarting nd-lsp.');
      void this.restart();
      return;
    }
    if (LIVE_SETTINGS.some((name) => event.affectsConfiguration(name))) {
      void this.sendSettings();
    }
  }

  onInterpreterChanged(): void {
    if (this.server?.source === 'Python extension' || this.server?.source === 'default') {
      this.log.info('The Python extension selected another interpreter: restarting nd-lsp.');
      void this.restart();
    }
  }

  dispose(): void {
    this.status.dispose();
    void this.stop();
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    // A failed operation must not block the ones after it (the user can always restart).
    this.queue = this.queue.then(operation).catch((error: unknown) => {
      this.log.error(`nd-lsp: ${String(error)}`);
    });
    return this.queue;
  }

  private async doStart(): Promise<void> {
    this.status.setState('starting');
    const server = await this.serverCommand();
    this.server = server;
    this.log.info(`Server: ${server.command} ${server.args.join(' ')} (${describeSource(server.source)})`);
    const verdict = judgeProbe(await probe(server));
    if (!verdict.ok) {
      this.reportProblem(server, verdict);
      return;
    }
    this.log.info(`Found ${verdict.version}`);
    const client = new LanguageClient(CLIENT_ID, 'nd-lsp', serverOptions(server), this.clientOptions());
    client.onDidChangeState(({ newState }) => this.status.setState(clientState(newState)));
    this.client = client;
    try {
      await client.start();
      this.status.setState('running');
    } catch (error) {
      this.log.error(`nd-lsp did not start: ${String(error)}`);
      this.status.setState('failed', 'the server did not start');
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5_000);
      } catch (error) {
        this.log.warn(`nd-lsp did not stop cleanly: ${String(error)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.status.setState('stopped');
  }

  private async serverCommand(): Promise<ServerCommand> {
    const settings = vscode.workspace.getConfiguration(CONFIGURATION_SECTION);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const serverPath = settings.get<string>('server.path', '');
    const pythonSetting = settings.get<string>('server.python', '');
    // Only ask the Python extension when the settings leave the choice open (asking activates it).
    const pythonFromExtension =
      serverPath.trim() || pythonSetting.trim() ? undefined : await selectedInterpreter(folder?.uri, this.log);
    return chooseServerCommand({
      serverPath,
      pythonSetting,
      pythonFromExtension,
      workspaceFolder: folder?.uri.fsPath,
    });
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.log,
      traceOutputChannel: this.trace,
      diagnosticCollectionName: 'nd-lsp',
      initializationOptions: configurationPayload(editorSettings()),
      middleware: {
        workspace: {
          configuration: (params, token, next) => answerConfiguration(params, next(params, token)),
        },
      },
    };
  }

  private async sendSettings(): Promise<void> {
    const payload = configurationPayload(editorSettings());
    this.log.info(`Settings for the server: ${JSON.stringify(payload)}`);
    if (this.client?.isRunning()) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: payload });
    }
    this.status.refresh();
  }

  private reportProblem(server: ServerCommand, verdict: Parameters<typeof describeProblem>[1]): void {
    const problem = describeProblem(server, verdict);
    this.log.error(problem.message);
    if (verdict.detail) {
      this.log.error(`Details: ${verdict.detail}`);
    }
    if (server.python !== undefined) {
      this.log.info(`From a clone of nd-lsp instead: ${server.command} -m pip install <path of the clone>`);
    }
    const why = {
      'not-installed': 'nd-lsp is not installed',
      'program-missing': `${server.command} was not found`,
      failed: `${server.command} failed`,
    };
    this.status.setState('failed', why[verdict.kind]);
    const openSetting = 'Open Setting';
    const copyInstall = 'Copy Install Command';
    const showOutput = 'Show Output';
    void vscode.window.showErrorMessage(problem.message, openSetting, copyInstall, showOutput).then(async (choice) => {
      if (choice === openSetting) {
        await openServerSetting(problem.setting);
      } else if (choice === copyInstall) {
        await vscode.env.clipboard.writeText(problem.installCommand);
      } else if (choice === showOutput) {
        this.log.show(true);
      }
    });
  }
}

/**
 * Opens the Settings editor at one server setting. Those settings name programs of the machine that runs
 * the extension, so in a remote window (SSH, WSL, code-server) they live in the Remote settings.
 */
async function openServerSetting(setting: string): Promise<void> {
  const command = vscode.env.remoteName ? 'workbench.action.openRemoteSettings' : 'workbench.action.openSettings';
  await vscode.commands.executeCommand(command, { query: setting });
}

function editorSettings(scope?: vscode.Uri): EditorSettings {
  const settings = vscode.workspace.getConfiguration(CONFIGURATION_SECTION, scope);
  return {
    navidromeVersion: settings.get('navidromeVersion'),
    select: settings.get('select'),
    ignore: settings.get('ignore'),
  };
}

/** Answers the server's workspace/configuration request for its own section with the mapped settings. */
async function answerConfiguration(
  params: ConfigurationParams,
  defaults: Thenable<unknown[] | ResponseError<void>> | unknown[] | ResponseError<void>,
): Promise<unknown[] | ResponseError<void>> {
  const answers = await defaults;
  if (answers instanceof ResponseError) {
    return answers;
  }
  return params.items.map((item, index) => {
    if (item.section !== SERVER_SECTION && item.section !== CONFIGURATION_SECTION) {
      return answers[index];
    }
    const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
    return toServerSettings(editorSettings(scope));
  });
}

function serverOptions(server: ServerCommand): ServerOptions {
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return { command: server.command, args: server.args, transport: TransportKind.stdio, options: { cwd } };
}

/** Runs `--version` of the chosen server, so a missing nd-lsp gets a clear message instead of a crash loop. */
function probe(server: ServerCommand): Promise<ProbeOutcome> {
  const { command, args } = probeCommand(server);
  return new Promise((resolve) => {
    execFile(command, args, { timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (error, stdout, stderr) => {
      const spawnError = error && typeof error.code === 'string' ? error.code : undefined;
      const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ spawnError, exitCode, stdout, stderr, timedOut: Boolean(error?.killed) });
    });
  });
}

function clientState(state: State): ServerState {
  switch (state) {
    case State.Running:
      return 'running';
    case State.Starting:
      return 'starting';
    case State.Stopped:
    default:
      return 'stopped';
  }
}

/** The status bar item with the Navidrome version the current plugin is checked against. */
class VersionStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ndLsp.navidromeVersion', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[];
  private state: ServerState = 'stopped';
  private problem: string | undefined;
  // Cleared on every start: another server version may offer the request.
  private targetRequestSupported = true;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly currentClient: () => LanguageClient | undefined) {
    this.item.name = 'nd-lsp: Navidrome version';
    this.item.command = 'ndLsp.showOutput';
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      // The server settles a plugin's version when it analyses it, which ends in new diagnostics.
      vscode.languages.onDidChangeDiagnostics((event) => {
        const active = vscode.window.activeTextEditor?.document.uri.toString();
        if (event.uris.some((uri) => uri.toString() === active)) {
          this.refreshSoon();
        }
      }),
    ];
  }

  setState(state: ServerState, problem?: string): void {
    if (state === 'starting') {
      this.targetRequestSupported = true;
    }
    this.state = state;
    this.problem = problem;
    this.refresh();
  }

  refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 300);
  }

  refresh(): void {
    void this.update();
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.item.dispose();
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }

  private async update(): Promise<void> {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || vscode.languages.match(DOCUMENT_SELECTOR, document) === 0) {
      if (this.state !== 'failed') {
        this.item.hide();
        return;
      }
    }
    const target = document && this.state === 'running' ? await this.targetVersion(document.uri) : undefined;
    const { text, tooltip } = statusText({
      state: this.state,
      target,
      configuredVersion: editorSettings(document?.uri).navidromeVersion,
      problem: this.problem,
    });
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  /** The server's answer to `nd-lsp/targetVersion`, if it offers that request. */
  private async targetVersion(uri: vscode.Uri): Promise<TargetVersion | undefined> {
    const client = this.currentClient();
    if (!client?.isRunning() || !this.targetRequestSupported) {
      return undefined;
    }
    try {
      const answer = await client.sendRequest<TargetVersion | null>(TARGET_VERSION_REQUEST, {
        textDocument: { uri: uri.toString() },
      });
      return answer && typeof answer.version === 'string' ? answer : undefined;
    } catch (error) {
      if (error instanceof ResponseError && error.code === METHOD_NOT_FOUND) {
        this.targetRequestSupported = false;
      }
      return undefined;
    }
  }
}
