/**
 * The "nd-lsp Trace" output, switched on and off by `ndLsp.trace.server` alone.
 *
 * vscode-languageclient traces only when its trace channel's log level is Trace, which a user would set in
 * the Output view; this channel reports Trace exactly while the setting is not "off", so the setting works
 * the way its description says.
 */

import * as vscode from 'vscode';

export class TraceChannel implements vscode.LogOutputChannel {
  readonly name: string;
  private readonly channel: vscode.OutputChannel;
  private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  private readonly settingWatch: vscode.Disposable;
  readonly onDidChangeLogLevel = this.levelChanged.event;

  constructor(
    name: string,
    private readonly setting: string,
  ) {
    this.name = name;
    this.channel = vscode.window.createOutputChannel(name);
    this.settingWatch = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(setting)) {
        this.levelChanged.fire(this.logLevel);
      }
    });
  }

  get logLevel(): vscode.LogLevel {
    const value = vscode.workspace.getConfiguration().get<string>(this.setting, 'off');
    return value === 'off' ? vscode.LogLevel.Info : vscode.LogLevel.Trace;
  }

  trace(message: string): void {
    this.write('trace', message);
  }

  debug(message: string): void {
    this.write('debug', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warning', message);
  }

  error(error: string | Error): void {
    this.write('error', typeof error === 'string' ? error : (error.stack ?? error.message));
  }

  append(value: string): void {
    this.channel.append(value);
  }

  appendLine(value: string): void {
    this.channel.appendLine(value);
  }

  replace(value: string): void {
    this.channel.replace(value);
  }

  clear(): void {
    this.channel.clear();
  }

  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean') {
      this.channel.show(columnOrPreserveFocus);
    } else {
      this.channel.show(columnOrPreserveFocus, preserveFocus);
    }
  }

  hide(): void {
    this.channel.hide();
  }

  dispose(): void {
    this.settingWatch.dispose();
    this.levelChanged.dispose();
    this.channel.dispose();
  }

  private write(level: string, message: string): void {
    if (this.logLevel === vscode.LogLevel.Trace) {
      this.channel.appendLine(`${new Date().toISOString()} [${level}] ${message}`);
    }
  }
}
