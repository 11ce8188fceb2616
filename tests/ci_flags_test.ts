import assert from "node:assert/strict";
import { checkCiFlags } from "../lib/cli/ci_flags.ts";
import type { OptionName } from "../lib/cli/options.ts";
import type { Trigger } from "../lib/modes/triggers.ts";
import { UsageError } from "../lib/errors.ts";

type Options = Parameters<typeof checkCiFlags>[0];

const BASE: Options = {
  command: "push",
  given: [] as OptionName[],
  ci: false,
  wait: false,
  canary: undefined,
  dryRun: false,
  trigger: "push" as Trigger,
};

function refusal(options: Partial<Options>): string | null {
  try {
    checkCiFlags({ ...BASE, ...options });
    return null;
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
}

Deno.test("push: a wait-shaping flag without --wait is refused, naming it", () => {
  assert.equal(
    refusal({ given: ["waitTimeout"] }),
    "push: --wait-timeout needs --wait (it shapes the wait for CI)",
  );
  assert.equal(
    refusal({ given: ["ciContext"] }),
    "push: --ci-context needs --wait (it shapes the wait for CI)",
  );
  assert.equal(refusal({ given: ["waitStart", "wait"], wait: true }), null);
});

Deno.test("push: --ci, --canary without --wait, and --wait with --dry-run are refused", () => {
  assert.equal(
    refusal({ given: ["ci"], ci: true, wait: true }),
    "push: --ci is for status; push follows CI with --wait",
  );
  assert.equal(
    refusal({ canary: 1 }),
    "push: --canary needs --wait (it waits for the canaries' CI)",
  );
  assert.equal(refusal({ canary: 0, wait: true }), null);
  assert.equal(
    refusal({ wait: true, dryRun: true }),
    "push: --wait follows pushed commits; --dry-run pushes none",
  );
  assert.equal(
    refusal({ wait: true, dryRun: true, trigger: "dispatch" }),
    "push: --wait follows dispatched runs; --dry-run dispatches none",
  );
  assert.equal(refusal({ dryRun: true }), null);
});

Deno.test("status: push's CI flags are refused, --ci-context needs --ci", () => {
  const status = { command: "status" };
  assert.equal(
    refusal({ ...status, given: ["wait"], wait: true }),
    "status: --wait is for push; status reads CI with --ci",
  );
  assert.equal(
    refusal({ ...status, given: ["canary"] }),
    "status: --canary is for push; status reads CI with --ci",
  );
  assert.equal(
    refusal({ ...status, given: ["waitStart"], ci: true }),
    "status: --wait-start bounds push --wait; status --ci reads each CI once, without waiting",
  );
  assert.equal(
    refusal({ ...status, given: ["ciContext"] }),
    "status: --ci-context needs --ci (it picks the contexts --ci reads)",
  );
  assert.equal(
    refusal({ ...status, given: ["ciContext", "ci"], ci: true }),
    null,
  );
  // Values from a config (not given on the line) are not refused in status.
  assert.equal(refusal({ ...status, wait: true, canary: 2 }), null);
});
