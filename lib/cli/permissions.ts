/**
 * The Deno permissions a command needs, checked before anything runs with
 * `Deno.permissions.querySync` (which never prompts), and turned into the
 * exact flags to add to the `deno run` command. Also reads a permission
 * error caught late (`Deno.errors.NotCapable`, `PermissionDenied`) back
 * into the flag that was missing.
 *
 * cascade always needs `--allow-run=git`, `--allow-read`, `--allow-write`
 * (reports, the temp dir) and `--allow-env`; `--allow-net` only when it
 * talks to a server itself (the in-process ref reader, an API call). A
 * plain push works without it: git does the network.
 *
 * @example The flags a bare `deno run` lacks
 * ```ts
 * import assert from "node:assert/strict";
 * import { permissionProblem } from "./permissions.ts";
 *
 * const none = () => "prompt" as const;
 * assert.equal(
 *   permissionProblem({ net: true }, none),
 *   "cascade needs --allow-run=git (and --allow-read, --allow-write, --allow-env, --allow-net): add them to the deno run command",
 * );
 * const onlyEnvMissing = (d: Deno.PermissionDescriptor) =>
 *   d.name === "env" ? "prompt" as const : "granted" as const;
 * assert.equal(
 *   permissionProblem({}, onlyEnvMissing),
 *   "cascade needs --allow-env: add it to the deno run command",
 * );
 * ```
 *
 * @module
 */

import { type PermissionQuery, queryPermission } from "../forge/access.ts";

export type { PermissionQuery } from "../forge/access.ts";

/** What a command will touch. Lists narrow a check to those items. */
export interface PermissionNeeds {
  /** Paths read; absent or empty: read access anywhere is checked. */
  read?: readonly string[];
  /** Paths written (reports, the temp dir); absent or empty: anywhere. */
  write?: readonly string[];
  /** Variables read; absent or empty: all variables are checked. */
  env?: readonly string[];
  /**
   * Whether cascade itself opens connections (the in-process ref reader,
   * an API): `true` checks any host, a list checks those `host:port`s.
   */
  net?: boolean | readonly string[];
}

/**
 * The flags to add to `deno run` for `needs`, in a fixed order
 * (`--allow-run=git`, `--allow-read`, `--allow-write`, `--allow-env`,
 * `--allow-net`); empty when all are granted. Anything but `granted`
 * counts as missing: a prompt would stop a CI run.
 */
function missingPermissions(
  needs: PermissionNeeds,
  query: PermissionQuery = queryPermission,
): string[] {
  const granted = (descriptor: Deno.PermissionDescriptor) =>
    query(descriptor) === "granted";
  const all = <T>(
    items: readonly T[] | undefined,
    one: (item: T | undefined) => Deno.PermissionDescriptor,
  ) =>
    items === undefined || items.length === 0
      ? granted(one(undefined))
      : items.every((item) => granted(one(item)));
  const flags: string[] = [];
  if (!granted({ name: "run", command: "git" })) flags.push("--allow-run=git");
  if (
    !all(
      needs.read,
      (path) => path === undefined ? { name: "read" } : { name: "read", path },
    )
  ) {
    flags.push("--allow-read");
  }
  if (
    !all(
      needs.write,
      (path) =>
        path === undefined ? { name: "write" } : { name: "write", path },
    )
  ) {
    flags.push("--allow-write");
  }
  if (
    !all(
      needs.env,
      (variable) =>
        variable === undefined ? { name: "env" } : { name: "env", variable },
    )
  ) {
    flags.push("--allow-env");
  }
  if (needs.net !== undefined && needs.net !== false) {
    const hosts = needs.net === true ? undefined : needs.net;
    if (
      !all(
        hosts,
        (host) => host === undefined ? { name: "net" } : { name: "net", host },
      )
    ) {
      flags.push("--allow-net");
    }
  }
  return flags;
}

/**
 * One line naming the missing flags, or null when nothing is missing:
 * `cascade needs --allow-run=git (and --allow-env): add them to the deno run
 * command`. The caller raises it as a usage error (exit 2).
 */
export function permissionProblem(
  needs: PermissionNeeds,
  query: PermissionQuery = queryPermission,
): string | null {
  return describeMissing(missingPermissions(needs, query));
}

/** `cascade needs A (and B, C): add them to the deno run command`. */
function describeMissing(flags: readonly string[]): string | null {
  const [first, ...more] = flags;
  if (first === undefined) return null;
  return more.length === 0
    ? `cascade needs ${first}: add it to the deno run command`
    : `cascade needs ${first} (and ${
      more.join(", ")
    }): add them to the deno run command`;
}

const DENIED =
  /Requires (run|read|write|env|net|sys|ffi|import) access(?: to "([^"]*)")?/;

/**
 * The flag a permission error caught late asks for, or null when `error`
 * is not one: `Requires run access to "git", run again with the
 * --allow-run flag` gives `--allow-run=git`; read, write, env and net give
 * `--allow-read`, `--allow-write`, `--allow-env`, `--allow-net`.
 */
function flagForPermissionError(error: unknown): string | null {
  const permissionError = error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied;
  if (!permissionError) return null;
  const m = DENIED.exec(error.message);
  if (m === null) return null;
  const kind = m[1] ?? "";
  const what = m[2];
  if (kind === "run" && what !== undefined && /^[\w.-]+$/.test(what)) {
    return `--allow-run=${what}`;
  }
  return `--allow-${kind}`;
}

/**
 * The one-line problem for a permission error caught late (see
 * {@linkcode describeMissing}), or null when `error` is not one.
 */
export function permissionErrorProblem(error: unknown): string | null {
  const flag = flagForPermissionError(error);
  return flag === null ? null : describeMissing([flag]);
}
