import assert from "node:assert/strict";
import { parseCommand } from "./support/parse_command.ts";
import { usage } from "../lib/cli/usage.ts";
import { UsageError } from "../lib/errors.ts";
import { TRIGGER_NAMES, TRIGGERS } from "../lib/modes/triggers.ts";

const push = ["push", "1.0", "--repo", "o/n"];

Deno.test("the trigger table drives --trigger's values, its help and the reports' schema enum", async () => {
  assert.deepEqual(TRIGGER_NAMES, ["push", "dispatch"]);
  for (const name of TRIGGER_NAMES) {
    const command = parseCommand([...push, "--trigger", name]);
    assert.ok(command.command === "push");
    assert.equal(command.options.trigger, name);
  }
  assert.throws(
    () => parseCommand([...push, "--trigger", "poke"]),
    /^UsageError: --trigger must be push or dispatch, not "poke"$/,
  );
  const help = usage("push");
  assert.match(help, /--trigger push\|dispatch/);
  assert.match(
    help,
    /push a commit, or fire workflow_dispatch \(not idempotent\)/,
  );
  for (const file of ["push-report", "status-report"]) {
    const url = new URL(`../schema/${file}.schema.json`, import.meta.url);
    const schema = JSON.parse(await Deno.readTextFile(url));
    assert.deepEqual(
      schema.$defs.options.properties.trigger.enum,
      TRIGGER_NAMES,
      `${file}: options.trigger lists the table's triggers`,
    );
  }
});

Deno.test("each trigger's own options are refused with another trigger, in its row's words", () => {
  for (const running of TRIGGER_NAMES) {
    for (const owner of TRIGGER_NAMES.filter((t) => t !== running)) {
      for (const name of TRIGGERS[owner].own) {
        const flag = `--${
          name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
        }`;
        const value = name === "noDowngrade" || name === "allowSkipCi"
          ? []
          : name === "workflow"
          ? ["build.yml"]
          : name === "input"
          ? ["a=b"]
          : name === "attempts"
          ? ["2"]
          : name === "author" || name === "coAuthor"
          ? ["A <a@example.com>"]
          : ["text"];
        try {
          parseCommand([...push, "--trigger", running, flag, ...value]);
          assert.fail(`${flag} with --trigger ${running} was not refused`);
        } catch (error) {
          assert.ok(error instanceof UsageError, flag);
          assert.equal(
            error.message,
            TRIGGERS[owner].refusal(flag, running),
          );
        }
      }
    }
  }
});
