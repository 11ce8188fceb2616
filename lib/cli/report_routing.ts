/**
 * Credentials never come from a data file: the options of an earlier
 * report (`--retry-failed`) that say where the token goes or where the API
 * is (`baseUrl`, `tokenOrigin`, `apiUrl`) are not taken from it. Each must
 * be given again on the command line (which wins, whatever the report
 * says) or, with the same value, in the config; otherwise the run is
 * refused before anything is sent, naming the field. An edited report
 * cannot send the token to another host.
 *
 * @example A report's base URL without the command line's is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutRouting } from "./report_routing.ts";
 *
 * const report = { baseUrl: "https://git.example.com", probe: ["Dockerfile"] };
 * const cli = { given: ["baseUrl" as const], raw: { baseUrl: "https://git.example.com" } };
 * assert.deepEqual(withoutRouting(report, cli, {}, "r.json"), { probe: ["Dockerfile"] });
 * assert.throws(() => withoutRouting(report, { given: [], raw: {} }, {}, "r.json"));
 * ```
 *
 * @module
 */

import type { CredentialOptions } from "../credentials.ts";
import { UsageError } from "../errors.ts";
import type { EarlierReport, Target } from "../targets/target.ts";
import { flagOf, type OptionName, OPTIONS, type Raw } from "./options.ts";

/** The options that route the token or name the API. */
const ROUTING_OPTIONS: readonly OptionName[] = [
  "baseUrl",
  "tokenOrigin",
  "apiUrl",
];

/**
 * The report's option `values` without the routing ones (see the module):
 * each the command line gives is dropped (the command line wins); each
 * the config gives with the same value (for a list: every item of the
 * report's in the config's) is dropped too. Any other is refused with a
 * {@linkcode UsageError} (exit 2) naming the field and the flag to give.
 */
export function withoutRouting(
  values: Partial<Record<OptionName, Raw>>,
  commandLine: {
    given: readonly OptionName[];
    raw: Partial<Record<OptionName, Raw>>;
  },
  config: Partial<Record<OptionName, Raw>>,
  file: string,
): Partial<Record<OptionName, Raw>> {
  const kept = { ...values };
  for (const name of ROUTING_OPTIONS) {
    const recorded = kept[name];
    if (recorded === undefined) continue;
    delete kept[name];
    if (commandLine.given.includes(name)) continue;
    if (sameValue(name, recorded, config[name])) continue;
    const flag = `--${flagOf(name)}`;
    throw new UsageError(
      `--retry-failed ${file}: its options name ${name} (where the token goes), and cascade takes no server address from a report; give ${flag} on the command line${
        config[name] === undefined ? "" : " (the config names another)"
      }, then re-run`,
    );
  }
  return kept;
}

/**
 * Whether the config's value covers the report's: the same value once
 * parsed (a list: every item of the report's among the config's).
 */
function sameValue(
  name: OptionName,
  recorded: Raw,
  configured: Raw | undefined,
): boolean {
  if (configured === undefined) return false;
  try {
    const parse = OPTIONS[name].value as (raw: Raw | undefined) => unknown;
    const [a, b] = [parse(recorded), parse(configured)];
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.every((item) => b.includes(item));
    }
    return typeof a === "string" && a === b;
  } catch {
    return false;
  }
}

/**
 * Refuses a retry whose token would go where only the report says: where
 * a retry's targets come from a report and no origin is named on the
 * command line, in the config or the environment (`--base-url`,
 * `GITEA_URL`, `--token-origin`), the token is not sent to the one server
 * the report's templates share, since that too is only what the file
 * says. Throws a {@linkcode UsageError} (exit 2) naming the flag to give.
 */
export function refuseReportRouting(
  retry: EarlierReport | null,
  targets: readonly Target[],
  options: Pick<CredentialOptions, "baseUrl" | "tokenOrigin">,
  env: (name: string) => string | undefined,
): void {
  const named = options.baseUrl !== undefined ||
    (options.tokenOrigin ?? []).length > 0 || env("GITEA_URL") !== undefined;
  if (retry !== null && !named && targets.some((t) => t.origin !== null)) {
    throw new UsageError(
      `--retry-failed: the report's templates are on an http(s) server, and cascade sends the token only where the command line, the config or the environment says: give --base-url (or --token-origin), then re-run`,
    );
  }
}
