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

import { UsageError } from "../errors.ts";
import { flagOf, type OptionName, OPTIONS } from "./options.ts";
import { shownValue } from "../console/secret_forms.ts";

/** The flag that turns boolean `name` off, or null for other options. */
export function negationOf(name: OptionName): string | null {
  if (OPTIONS[name].kind !== "boolean" || name === "help") return null;
  const flag = flagOf(name);
  return flag.startsWith("no-") ? `--${flag.slice(3)}` : `--no-${flag}`;
}

/** The negation flags of `names` (without `--`), each a boolean to parse. */
export function negationOptions(
  names: readonly OptionName[],
): Record<string, { type: "boolean" }> {
  const options: Record<string, { type: "boolean" }> = {};
  for (const name of names) {
    const negation = negationOf(name);
    if (negation !== null) options[negation.slice(2)] = { type: "boolean" };
  }
  return options;
}

/**
 * The values with each negation applied: where a boolean's negation came
 * after its last plain use (`--dry-run --no-dry-run`), it is `false`. The
 * negations' own entries are removed.
 */
export function applyNegations(
  values: Record<string, unknown>,
  tokens: readonly { kind: string; name?: string; index: number }[],
  names: readonly OptionName[],
): Record<string, unknown> {
  const out = { ...values };
  const last = (flag: string) =>
    tokens.reduce(
      (at, t) => t.kind === "option" && t.name === flag ? t.index : at,
      -1,
    );
  for (const name of names) {
    const negation = negationOf(name)?.slice(2);
    if (negation === undefined) continue;
    const off = last(negation);
    delete out[negation];
    if (off >= 0 && off > last(flagOf(name))) out[flagOf(name)] = false;
  }
  return out;
}

/** The `--help` line listing the negations of `names`, or "". */
export function negationLine(names: readonly OptionName[]): string {
  const flags = names.map(negationOf).filter((f) => f !== null);
  // The example: --wait where the command takes it, else its first switch.
  const switches = names.filter((n) => negationOf(n) !== null);
  const example = switches.includes("wait") ? "wait" : switches[0] ?? "wait";
  return flags.length === 0
    ? ""
    : `Turning a flag off (over a config file): ${flags.join(", ")}\n` +
      `An on/off flag takes no value: --${
        flagOf(example)
      }=false is refused, write ${negationOf(example)}\n`;
}

/**
 * Refuses a value on an on/off flag (`--wait=false`): the value is never
 * read, so `--wait=false` would wait. The refusal names both forms;
 * `prefix` starts it (`push: `). `arg` not an on/off flag: nothing.
 */
export function refuseSwitchValue(
  prefix: string,
  arg: string,
  names: readonly OptionName[],
): void {
  const flag = arg.split("=")[0] ?? arg;
  const name = names.find((n) =>
    OPTIONS[n].kind === "boolean" &&
    (`--${flagOf(n)}` === flag || negationOf(n) === flag)
  );
  if (name === undefined) return;
  const other = flag === negationOf(name)
    ? `--${flagOf(name)}`
    : negationOf(name);
  throw new UsageError(
    `${prefix}${flag} is on or off and takes no value (${
      shownValue(arg, 80)
    }): write ${flag}${other === null ? "" : `, or ${other} for the opposite`}`,
  );
}
