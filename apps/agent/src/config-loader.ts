import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { type AgentConfigInput, type ConfigResult, type Credentials, resolveConfig } from './config.js';
import { envName, OPTIONS, type OptionSpec, REFUSED_OPTIONS } from './options.js';

/**
 * Reads the configuration from its four layers: command-line flags > environment > config file
 * > defaults. Maps (tags) merge per key; everything else is replaced by the higher layer.
 */

type Raw = Record<string, unknown>;

export interface CommandLine {
  values: Raw;
  help: boolean;
  version: boolean;
  configFile: string | undefined;
}

export type CommandLineResult = ({ ok: true } & CommandLine) | { ok: false; errors: string[] };

const byFlag = new Map<string, OptionSpec>();
const byShort = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  byFlag.set(spec.flag, spec);
  if (spec.short !== undefined) byShort.set(spec.short, spec);
}

export function parseCommandLine(argv: readonly string[]): CommandLineResult {
  const parserOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> =
    {};
  for (const spec of OPTIONS) {
    parserOptions[spec.flag] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.short !== undefined ? { short: spec.short } : {}),
    };
  }
  // Refused options that take a value are declared so the value (a password) is consumed with
  // them rather than echoed back as a stray argument.
  parserOptions['http-password'] = { type: 'string' };
  parserOptions['http-username'] = { type: 'string' };
  // Not strict: every token is checked below so refused tcollector options get a reason.
  const { tokens } = parseArgs({
    args: [...argv],
    options: parserOptions,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const errors: string[] = [];
  const values: Raw = {};
  let help = false;
  let version = false;
  let configFile: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      errors.push(`unexpected argument "${token.value}" (options start with -; see --help)`);
      continue;
    }
    if (token.kind !== 'option') continue;
    const refused = REFUSED_OPTIONS[token.name];
    if (refused !== undefined) {
      errors.push(`${token.rawName}: not supported: ${refused}`);
      continue;
    }
    const spec = token.rawName.startsWith('--') ? byFlag.get(token.name) : byShort.get(token.name);
    const known = spec ?? byFlag.get(token.name);
    if (known === undefined) {
      errors.push(`${token.rawName}: unknown option (see --help)`);
      continue;
    }
    const flag = `--${known.flag}`;
    if (known.kind === 'boolean') {
      if (token.value !== undefined) {
        errors.push(`${flag}: takes no value (got "${token.value}")`);
        continue;
      }
      if (known.key === 'help') help = true;
      else if (known.key === 'version') version = true;
      else values[known.key] = !known.negate;
      continue;
    }
    if (token.value === undefined) {
      errors.push(`${flag}: needs a value${known.metavar ? ` (${known.metavar})` : ''}`);
      continue;
    }
    if (known.key === 'config') {
      configFile = token.value;
      continue;
    }
    const converted = convert(known, token.value);
    if (typeof converted === 'object' && converted !== null && 'error' in converted) {
      errors.push(`${flag}: ${converted.error}`);
      continue;
    }
    if (known.kind === 'tags' || known.kind === 'list') {
      const list = (values[known.key] as string[] | undefined) ?? [];
      list.push(token.value);
      values[known.key] = list;
    } else {
      values[known.key] = converted;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, values, help, version, configFile };
}

function convert(spec: OptionSpec, text: string): unknown {
  switch (spec.kind) {
    case 'int':
      return /^-?\d+$/.test(text.trim()) ? Number(text) : { error: `"${text}" is not an integer` };
    case 'number': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(n) ? n : { error: `"${text}" is not a number` };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return !spec.negate;
      if (['0', 'false', 'no', 'off'].includes(t)) return !!spec.negate;
      return { error: `"${text}" is not true/false` };
    }
    default:
      return text;
  }
}

/** `OTSDB_AGENT_<KEY>` variables. Lists and tags are comma separated. */
export function readEnvironment(env: NodeJS.ProcessEnv): { values: Raw; errors: string[] } {
  const values: Raw = {};
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const spec of OPTIONS) {
    if (spec.noEnv || seen.has(spec.key)) continue;
    seen.add(spec.key);
    const name = envName(spec.key);
    const text = env[name];
    if (text === undefined || text === '') continue;
    // The variable names the key, so a negated flag's variable holds the key's own value.
    const converted = convert({ ...spec, negate: false }, text);
    if (typeof converted === 'object' && converted !== null && 'error' in converted) {
      errors.push(`${name}: ${converted.error}`);
      continue;
    }
    values[spec.key] =
      spec.kind === 'tags' || spec.kind === 'list'
        ? text
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : converted;
  }
  return { values, errors };
}

export async function readConfigFile(path: string): Promise<{ values: Raw } | { error: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { error: `config file ${path}: ${(err as Error).message}` };
  }
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    parsed = parseYaml(text);
  } catch (err) {
    return { error: `config file ${path}: ${(err as Error).message.split('\n')[0]}` };
  }
  if (parsed === null || parsed === undefined) return { values: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { error: `config file ${path}: must hold a mapping of option names to values` };
  }
  const values = parsed as Raw;
  if ('credentials' in values || 'password' in values) {
    return {
      error: `config file ${path}: credentials do not belong in the config file; use authFile or OTSDB_USER/OTSDB_PASSWORD`,
    };
  }
  return { values };
}

/** Tags of one layer as a map; a key given twice in the same layer is an error (tcollector's rule). */
function layerTags(raw: unknown, where: string, errors: string[]): Record<string, string> | undefined {
  if (Array.isArray(raw)) {
    const tags: Record<string, string> = {};
    for (const item of raw) {
      if (typeof item !== 'string') return undefined;
      const eq = item.indexOf('=');
      if (eq <= 0) {
        errors.push(`${where}: tag "${item}" is not key=value`);
        continue;
      }
      const key = item.slice(0, eq);
      if (key in tags) errors.push(`${where}: tag "${key}" is given twice`);
      tags[key] = item.slice(eq + 1);
    }
    return tags;
  }
  if (raw !== null && typeof raw === 'object') return raw as Record<string, string>;
  return undefined;
}

export function mergeLayers(layers: { values: Raw; where: string }[], errors: string[]): Raw {
  const merged: Raw = {};
  let tags: Record<string, string> | undefined;
  for (const { values, where } of layers) {
    for (const [key, value] of Object.entries(values)) {
      if (key === 'tags') {
        const layer = layerTags(value, where, errors);
        if (layer === undefined) {
          // Not a usable shape: let the schema report it.
          merged['tags'] = value;
          tags = undefined;
        } else {
          tags = { ...(tags ?? {}), ...layer };
          merged['tags'] = tags;
        }
      } else {
        merged[key] = value;
      }
    }
  }
  return merged;
}

export async function readCredentialsFile(
  path: string,
): Promise<{ credentials: Credentials; warning?: string }> {
  const info = await stat(path);
  const text = (await readFile(path, 'utf8')).trim();
  let credentials: Credentials | undefined;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('is neither "user:password" nor valid JSON');
    }
    const o = parsed as Record<string, unknown>;
    const user = o['user'] ?? o['username'];
    if (typeof user === 'string' && typeof o['password'] === 'string')
      credentials = { user, password: o['password'] };
    else throw new Error('JSON must hold string fields "user" and "password"');
  } else {
    const line = text.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const colon = line?.indexOf(':') ?? -1;
    if (line === undefined || colon <= 0) throw new Error('must hold "user:password" or JSON');
    credentials = { user: line.slice(0, colon).trim(), password: line.slice(colon + 1).trim() };
  }
  const warning =
    (info.mode & 0o077) !== 0
      ? `auth file ${path} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`
      : undefined;
  return warning === undefined ? { credentials } : { credentials, warning };
}

export interface LoadedConfig {
  result: ConfigResult;
  help: boolean;
  version: boolean;
}

/**
 * Where credentials come from: a `--auth-file` flag wins, then OTSDB_USER/OTSDB_PASSWORD, then
 * an authFile from the environment or the config file. Never from argv itself.
 */
export async function loadConfig(options: {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  hostname?: string;
}): Promise<LoadedConfig> {
  const cli = parseCommandLine(options.argv);
  if (!cli.ok) return { result: { ok: false, errors: cli.errors }, help: false, version: false };
  if (cli.help || cli.version) {
    return { result: { ok: false, errors: [] }, help: cli.help, version: cli.version };
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  const layers: { values: Raw; where: string }[] = [];
  if (cli.configFile !== undefined) {
    const file = await readConfigFile(cli.configFile);
    if ('error' in file) errors.push(file.error);
    else layers.push({ values: file.values, where: `config file ${cli.configFile}` });
  }
  const env = readEnvironment(options.env);
  errors.push(...env.errors);
  layers.push({ values: env.values, where: 'environment' });
  layers.push({ values: cli.values, where: 'command line' });
  const merged = mergeLayers(layers, errors);

  let credentials: Credentials | undefined;
  const envUser = options.env['OTSDB_USER'];
  const envPassword = options.env['OTSDB_PASSWORD'];
  const authFile = typeof merged['authFile'] === 'string' ? merged['authFile'] : undefined;
  const fromCli = cli.values['authFile'] !== undefined;
  const envGiven = (envUser ?? '') !== '' || (envPassword ?? '') !== '';
  if (authFile !== undefined && (fromCli || !envGiven)) {
    try {
      const read = await readCredentialsFile(authFile);
      credentials = read.credentials;
      if (read.warning !== undefined) warnings.push(read.warning);
    } catch (err) {
      errors.push(`authFile: ${authFile}: ${(err as Error).message}`);
    }
  } else if (envGiven) {
    if (!envUser || !envPassword) errors.push('OTSDB_USER and OTSDB_PASSWORD: set both or neither');
    else credentials = { user: envUser, password: envPassword };
  }

  if (errors.length > 0) return { result: { ok: false, errors }, help: false, version: false };
  const input = { ...merged, credentials } as AgentConfigInput;
  const result = resolveConfig(input, options.hostname);
  if (result.ok) result.warnings.unshift(...warnings);
  return { result, help: false, version: false };
}
