/**
 * `--workflow` and `--input` (`lib/cli/dispatch_options.ts`), through
 * their entries' converters in the table of flags.
 */

import assert from "node:assert/strict";
import { DISPATCH_OPTIONS } from "../lib/cli/dispatch_options.ts";
import { UsageError } from "../lib/errors.ts";

/** `--workflow <name>` as the table of flags converts it. */
const workflowFile = (name: string) => DISPATCH_OPTIONS.workflow.value(name);
/** `--input` given `raws` times, as the table of flags converts it. */
const workflowInputs = (raws: string[]) =>
  DISPATCH_OPTIONS.input.value(raws.length === 0 ? undefined : raws);

const usage = (re: RegExp) => (e: unknown) =>
  e instanceof UsageError && e.exitCode === 2 && re.test(e.message);

Deno.test("dispatch options: a workflow is a file name ending in .yml or .yaml", () => {
  assert.equal(workflowFile("publish-image.yml"), "publish-image.yml");
  assert.equal(workflowFile("a.yaml"), "a.yaml");
  for (const bad of [".gitea/workflows/a.yml", "a.json", "-a.yml"]) {
    assert.throws(
      () => workflowFile(bad),
      usage(/must be a workflow's file name/),
    );
  }
});

Deno.test("dispatch options: inputs are unique name=value pairs, with a default", () => {
  assert.deepEqual(workflowInputs([]), [
    { name: "runtime_version", value: "{version}" },
  ]);
  assert.deepEqual(workflowInputs(["a=1", "b_c=x=y", "d="]), [
    { name: "a", value: "1" },
    { name: "b_c", value: "x=y" },
    { name: "d", value: "" },
  ]);
  assert.throws(() => workflowInputs(["novalue"]), usage(/must be name=value/));
  assert.throws(() => workflowInputs(["1a=x"]), usage(/must be name=value/));
  assert.throws(
    () => workflowInputs(["a=1", "a=2"]),
    usage(/^--input a is given twice; give it once$/),
  );
  assert.throws(() => workflowInputs(["a=x\ny"]), usage(/must be one line/));
});
