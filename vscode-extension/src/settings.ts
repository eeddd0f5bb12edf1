/**
 * The `ndLsp.*` settings as the server reads them (nd_lsp/server/settings.py), and the status bar's text.
 *
 * Nothing here imports `vscode`, so the node test runner covers it (test/settings.test.ts).
 */

/** The section name the server looks for in initializationOptions, didChangeConfiguration and configuration. */
export const SERVER_SECTION = 'nd-lsp';

/** The settings a change of which needs a new server process rather than a notification. */
export const RESTART_SETTINGS = ['ndLsp.server.path', 'ndLsp.server.python'] as const;

/** The settings the running server takes through workspace/didChangeConfiguration. */
export const LIVE_SETTINGS = ['ndLsp.navidromeVersion', 'ndLsp.select', 'ndLsp.ignore'] as const;

/** The values as VS Code's configuration returns them: anything a user may have typed. */
export interface EditorSettings {
  navidromeVersion?: unknown;
  select?: unknown;
  ignore?: unknown;
}

/**
 * What the server understands. `null` leaves the choice to the plugin's configuration files: an empty
 * `select` would otherwise mean "no rule at all", and an empty version is no version.
 */
export interface ServerSettings {
  navidromeVersion: string | null;
  select: string[] | null;
  ignore: string[];
}

export function toServerSettings(editor: EditorSettings): ServerSettings {
  const select = ruleCodes(editor.select);
  return {
    navidromeVersion: versionName(editor.navidromeVersion),
    select: select.length > 0 ? select : null,
    ignore: ruleCodes(editor.ignore),
  };
}

/** The settings nested under the server's section, as didChangeConfiguration carries them. */
export function configurationPayload(editor: EditorSettings): { [SERVER_SECTION]: ServerSettings } {
  return { [SERVER_SECTION]: toServerSettings(editor) };
}

function versionName(value: unknown): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  const name = value.trim();
  return name ? name : null;
}

function ruleCodes(value: unknown): string[] {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [];
  const codes = items
    .filter((item): item is string => typeof item === 'string')
    .map((item) => item.trim().toUpperCase())
    .filter((item) => item.length > 0);
  return [...new Set(codes)];
}

/** The answer of the server's `nd-lsp/targetVersion` request, when it offers one. */
export interface TargetVersion {
  version: string;
  /** Where the version came from, e.g. "setting", "Cargo.toml nd-pdk tag v0.62.0", "newest release". */
  source?: string;
}

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusInputs {
  state: ServerState;
  /** What the server says this plugin targets; undefined when it cannot tell us. */
  target?: TargetVersion;
  /** `ndLsp.navidromeVersion`, shown when the server does not say. */
  configuredVersion?: unknown;
  /** Why the server is not running, for the tooltip. */
  problem?: string;
}

export interface StatusText {
  text: string;
  tooltip: string;
}

/** The status bar item: the Navidrome version the current plugin is checked against. */
export function statusText(inputs: StatusInputs): StatusText {
  if (inputs.state === 'failed') {
    return {
      text: '$(error) nd-lsp',
      tooltip: `nd-lsp is not running: ${inputs.problem ?? 'see the output'}. Click to show the output.`,
    };
  }
  if (inputs.state === 'starting') {
    return { text: '$(sync~spin) nd-lsp', tooltip: 'nd-lsp is starting' };
  }
  if (inputs.state === 'stopped') {
    return { text: '$(circle-slash) nd-lsp', tooltip: 'nd-lsp is stopped. Run "nd-lsp: Restart Server" to start it.' };
  }
  if (inputs.target) {
    const where = inputs.target.source ? ` (${inputs.target.source})` : '';
    return {
      text: `$(check) Navidrome ${inputs.target.version}`,
      tooltip: `nd-lsp checks this plugin against Navidrome ${inputs.target.version}${where}. Click to show the output.`,
    };
  }
  const configured = versionName(inputs.configuredVersion);
  if (configured) {
    return {
      text: `$(check) Navidrome ${configured}`,
      tooltip: `nd-lsp checks plugins against Navidrome ${configured} (ndLsp.navidromeVersion). Click to show the output.`,
    };
  }
  return {
    text: '$(check) Navidrome: newest release',
    tooltip:
      "nd-lsp checks each plugin against the version its nd-lsp.toml or nd-pdk dependency names, else Navidrome's " +
      'newest release. Set ndLsp.navidromeVersion to choose one. Click to show the output.',
  };
}
