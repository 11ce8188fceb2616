/**
 * cascade's one config file: `cascade.json` in the working directory, or
 * the file named by `--config`. It holds the same settings as the long
 * flags, keyed by their camelCase names (`baseUrl`, `reposFile`, …); the
 * caller passes the allowed keys as a {@linkcode ConfigSchema}, so the
 * option table stays the one source.
 *
 * The format is JSON with comments, like `deno.json`: `//` and `/* *\/`
 * comments and trailing commas before `}` or `]` are allowed. A string may
 * stand for a one-element list where a list of strings is expected. Paths
 * marked in the schema are resolved against the config file's directory
 * (absolute paths are kept, `~` is not expanded). A `$schema` key is
 * ignored, for editors. Tokens never go in the file: a `token` key, or a
 * value that looks like a secret, is refused.
 *
 * Permissions: `--allow-read` for the file.
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { parseJsonc } from "./jsonc.ts";
import { closest } from "./suggest.ts";
import { type SectionName, splitSections } from "./config_sections.ts";

/** The config file looked for in the working directory. */
const CONFIG_FILE_NAME = "cascade.json";

/** The largest config file read, in bytes (1 MiB). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The type of one config value. */
export type ConfigType = "string" | "boolean" | "number" | "string[]";

/** One allowed key: its type, and whether its strings are paths. */
interface ConfigKey {
  /** The JSON type the value must have. */
  type: ConfigType;
  /** Resolve the value (or each item) relative to the config file. */
  path?: boolean;
}

/** The allowed keys (camelCase long-flag names) and their types. */
export type ConfigSchema = Readonly<Record<string, ConfigKey>>;

/** One config value, after checking. */
export type ConfigValue = string | boolean | number | string[];

/** A config file, read and checked. */
interface LoadedConfig {
  /** Absolute path of the file. */
  file: string;
  /** The values by key; paths resolved; only keys that were present. */
  values: Record<string, ConfigValue>;
  /** Per-command sections, checked alike; only when the file has any. */
  sections?: Partial<Record<SectionName, Record<string, ConfigValue>>>;
}

/** Key names that mean a secret, compared lowercased without `-`/`_`. */
const SECRET_KEYS =
  /^(?:token|password|passwd|secret|apikey|accesstoken|auth(?:orization)?|credentials?)$/;

/**
 * Why a value looks like a secret, or null: a URL with a password, an
 * `Authorization`-style value, a well-known token prefix, or a 40-hex
 * string (a Gitea token's shape).
 */
function secretShape(value: string): string | null {
  const v = value.trim();
  if (/^https?:\/\/[^/@\s]+@/i.test(v)) return "a URL with credentials";
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(v)) {
    return "a URL with a password";
  }
  if (/^(?:basic|bearer|token)\s+\S{8,}$/i.test(v)) {
    return "an authorization header value";
  }
  if (/^(?:ghp_|gho_|ghs_|github_pat_|glpat-)\S{8,}$/.test(v)) {
    return "a token";
  }
  if (/^[0-9a-f]{40}$/i.test(v)) return "a token";
  return null;
}

/**
 * Loads the config file: `path` (from `--config`, relative to `cwd`) must
 * exist; without it, `<cwd>/cascade.json` is read when present, else the
 * result is null. Every problem is a {@linkcode UsageError} naming the file
 * and the key.
 */
export async function loadConfigFile(
  path: string | undefined,
  cwd: string,
  schema: ConfigSchema,
): Promise<LoadedConfig | null> {
  const file = resolve(cwd, path ?? CONFIG_FILE_NAME);
  const shown = path ?? CONFIG_FILE_NAME;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable && path === undefined) {
      throw new UsageError(
        `cascade needs --allow-read for ${file} (it looks for ${CONFIG_FILE_NAME} in the working directory): add ${CONFIG_FILE_NAME} to --allow-read, or pass --config <file>`,
      );
    }
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new UsageError(
        `cannot read ${shown}: ${
          errorText(error)
        }; check the path and --allow-read`,
      );
    }
    if (path === undefined) return null;
    throw new UsageError(
      `--config ${path} does not exist: check the path (it is relative to the working directory)`,
    );
  }
  if (!info.isFile) {
    throw new UsageError(`${shown} is not a file: name a JSON file`);
  }
  if (info.size > MAX_CONFIG_BYTES) {
    throw new UsageError(
      `${shown} is larger than 1 MiB: a config file holds a few settings; list targets in a --repos-file`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      await Deno.readFile(file),
    );
  } catch (error) {
    throw new UsageError(
      error instanceof TypeError
        ? `${shown} is not UTF-8 text: save it as UTF-8`
        : `cannot read ${shown}: ${
          errorText(error)
        }; check the path and --allow-read`,
    );
  }
  const { top, sections } = splitSections(parseJsonc(text, shown), shown);
  const values = checkConfig(top, schema, shown, dirname(file));
  const checked = Object.entries(sections).map(([name, section]) => [
    name,
    checkConfig(section, schema, `${shown} (section "${name}")`, dirname(file)),
  ]);
  return checked.length === 0
    ? { file, values }
    : { file, values, sections: Object.fromEntries(checked) };
}

/**
 * Checks parsed config against the schema and resolves paths against
 * `baseDir`; `shown` names the file in messages.
 */
function checkConfig(
  parsed: unknown,
  schema: ConfigSchema,
  shown: string,
  baseDir: string,
): Record<string, ConfigValue> {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(
      `${shown} must hold a JSON object ({ "baseUrl": "…", … }), not ${
        typeName(parsed)
      }`,
    );
  }
  const values: Record<string, ConfigValue> = {};
  const known = Object.keys(schema);
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === "$schema") continue;
    if (SECRET_KEYS.test(key.toLowerCase().replace(/[-_]/g, ""))) {
      throw new UsageError(
        `${
          JSON.stringify(key)
        } is not allowed in a config file: put the token in CASCADE_TOKEN`,
      );
    }
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      const shape = typeof item === "string" ? secretShape(item) : null;
      if (shape !== null) {
        throw new UsageError(
          `${
            JSON.stringify(key)
          } in ${shown} looks like it holds ${shape}: secrets never go in a config file; put the token in CASCADE_TOKEN`,
        );
      }
    }
    const spec = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (spec === undefined) {
      const near = closest(key, known);
      throw new UsageError(
        `unknown key ${JSON.stringify(key)} in ${shown}; ${
          near === null
            ? `the keys are the long flags in camelCase (see cascade push --help)`
            : `did you mean ${JSON.stringify(near)}?`
        }`,
      );
    }
    values[key] = checkValue(key, raw, spec, shown, baseDir);
  }
  return values;
}

const TYPE_WORDS: Record<ConfigType, string> = {
  string: "a string",
  boolean: "true or false",
  number: "a number",
  "string[]": "a list of strings",
};

function checkValue(
  key: string,
  raw: unknown,
  spec: ConfigKey,
  shown: string,
  baseDir: string,
): ConfigValue {
  const wrong = (detail = `not ${typeName(raw)}`) =>
    new UsageError(
      `${JSON.stringify(key)} in ${shown} must be ${
        TYPE_WORDS[spec.type]
      }, ${detail}`,
    );
  const asPath = (text: string, item?: number): string => {
    if (spec.path !== true) return text;
    if (text.trim() === "") {
      throw new UsageError(
        `${JSON.stringify(key)} in ${shown} ${
          item === undefined ? "is" : `item ${item} is`
        } an empty path: name a file`,
      );
    }
    return isAbsolute(text) ? text : resolve(baseDir, text);
  };
  switch (spec.type) {
    case "string":
      if (typeof raw !== "string") throw wrong();
      return asPath(raw);
    case "boolean":
      if (typeof raw !== "boolean") throw wrong();
      return raw;
    case "number":
      if (typeof raw !== "number") throw wrong();
      if (!Number.isFinite(raw)) throw wrong(`not ${raw}`);
      return raw;
    case "string[]": {
      if (typeof raw === "string") return [asPath(raw)];
      if (!Array.isArray(raw)) throw wrong();
      return raw.map((item: unknown, n) => {
        if (typeof item !== "string") {
          throw wrong(`not a list holding ${typeName(item)} (item ${n + 1})`);
        }
        return asPath(item, n + 1);
      });
    }
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? "";
}
