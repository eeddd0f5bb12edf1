/** The interpreter selected in the Python extension (ms-python.python), when that extension is installed. */

import * as vscode from 'vscode';

const PYTHON_EXTENSION_ID = 'ms-python.python';
// The Python extension may take a while to activate; the server should not wait on it for long.
const ACTIVATION_TIMEOUT_MS = 15_000;

/** The parts of the Python extension's API that are used here (see @vscode/python-extension). */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(
      environment: { path: string },
    ): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
}

async function pythonApi(): Promise<PythonApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  if (extension.isActive) {
    return extension.exports;
  }
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ACTIVATION_TIMEOUT_MS));
  return Promise.race([Promise.resolve(extension.activate()), timeout]);
}

/** The selected interpreter's executable for `resource`, or undefined (no extension, no selection, an error). */
export async function selectedInterpreter(resource?: vscode.Uri, log?: vscode.LogOutputChannel): Promise<string | undefined> {
  try {
    const environments = (await pythonApi())?.environments;
    const active = environments?.getActiveEnvironmentPath?.(resource);
    if (!active?.path) {
      return undefined;
    }
    // The active path may name an environment folder; resolving it gives its interpreter.
    const resolved = await environments?.resolveEnvironment?.(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch (error) {
    log?.warn(`Could not ask the Python extension for its interpreter: ${String(error)}`);
    return undefined;
  }
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  try {
    const event = (await pythonApi())?.environments?.onDidChangeActiveEnvironmentPath;
    return event?.(() => listener());
  } catch {
    return undefined;
  }
}
