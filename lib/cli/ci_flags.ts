/**
 * The CI flags that belong to one command, or only go with another: a CI
 * flag given on the command line without what it shapes (`--wait-timeout`
 * without `--wait`, `--ci-context` without `--ci`) would be ignored, so it
 * is refused (exit 2) before anything runs.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type Trigger, TRIGGERS } from "../modes/triggers.ts";
import { flagOf, type OptionName } from "./options.ts";

/** What the check reads of a command's options. */
interface CiFlagOptions {
  /** The command. */
  command: string;
  /** The options given on the command line. */
  given: readonly OptionName[];
  /** `--ci`. */
  ci: boolean;
  /** `--wait`. */
  wait: boolean;
  /** `--canary`. */
  canary: number | undefined;
  /** `--dry-run`. */
  dryRun: boolean;
  /** `--trigger`. */
  trigger: Trigger;
}

/** The CI flags that belong to one command, or only go with another. */
export function checkCiFlags(options: CiFlagOptions): void {
  const given = (name: OptionName) => options.given.includes(name);
  // A CI flag given without what it shapes would be ignored: refused.
  const shaping = ["waitTimeout", "waitStart", "ciContext"] as const;
  if (options.command === "status") {
    for (const name of ["wait", "canary"] as const) {
      if (given(name)) {
        throw new UsageError(
          `status: --${flagOf(name)} is for push; status reads CI with --ci`,
        );
      }
    }
    for (const name of ["waitTimeout", "waitStart"] as const) {
      if (given(name)) {
        throw new UsageError(
          `status: --${
            flagOf(name)
          } bounds push --wait; status --ci reads each CI once, without waiting`,
        );
      }
    }
    if (given("ciContext") && !options.ci) {
      throw new UsageError(
        `status: --ci-context needs --ci (it picks the contexts --ci reads)`,
      );
    }
    return;
  }
  const idle = shaping.find((name) => given(name));
  if (idle !== undefined && !options.wait) {
    throw new UsageError(
      `push: --${flagOf(idle)} needs --wait (it shapes the wait for CI)`,
    );
  }
  if (given("ci")) {
    throw new UsageError(
      `push: --ci is for status; push follows CI with --wait`,
    );
  }
  if (options.canary !== undefined && !options.wait) {
    throw new UsageError(
      `push: --canary needs --wait (it waits for the canaries' CI)`,
    );
  }
  if (options.wait && options.dryRun) {
    throw new UsageError(
      `push: ${TRIGGERS[options.trigger].dryRunWait}`,
    );
  }
}
