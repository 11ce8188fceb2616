/**
 * Every on/off flag can be turned off again, so that a flag wins over a
 * config file both ways: `--no-<flag>` for each boolean of the option
 * table (`--no-dry-run`, `--no-wait`), and for a flag that is itself a
 * `no-` (`--no-downgrade`) the plain form (`--downgrade`). Generated from
 * the table; `--help` has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { negationOf } from "./negation.ts";
 *
 * assert.equal(negationOf("dryRun"), "--no-dry-run");
 * assert.equal(negationOf("noDowngrade"), "--downgrade");
 * assert.equal(negationOf("repo"), null);
 * ```
 *
 * @module
 */

import { flagOf, type OptionName, OPTIONS } from "./options.ts";

/** The flag that turns boolean `name` off, or null for other options. */
export function negationOf(name: OptionName): string | null {
  if (OPTIONS[name].kind !== "boolean" || name === "help") return null;
  const flag = flagOf(name);
  return flag.startsWith("no-") ? `--${flag.slice(3)}` : `--no-${flag}`;
}

/**
 * `args` with each plain form of a `no-` flag (`--downgrade`) spelled the
 * way `parseArgs` negates it (`--no-no-downgrade`), for `names`.
 */
export function spellNegations(
  args: readonly string[],
  names: readonly OptionName[],
): string[] {
  const plain = new Map<string, string>();
  for (const name of names) {
    const negation = negationOf(name);
    if (negation !== null && flagOf(name).startsWith("no-")) {
      plain.set(negation, `--no-${flagOf(name)}`);
    }
  }
  const end = args.indexOf("--");
  return args.map((arg, i) =>
    end >= 0 && i > end ? arg : plain.get(arg) ?? arg
  );
}

/** The `--help` line listing the negations of `names`, or "". */
export function negationLine(names: readonly OptionName[]): string {
  const flags = names.map(negationOf).filter((f) => f !== null);
  return flags.length === 0
    ? ""
    : `Turning a flag off (over a config file): ${flags.join(", ")}\n`;
}
