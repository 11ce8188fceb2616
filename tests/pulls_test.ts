import assert from "node:assert/strict";
import { checkPullRequest, MERGE_STYLES } from "../lib/forge/pulls.ts";

const GOOD = {
  number: 7,
  state: "open",
  merged: false,
  head: { ref: "cascade/VERSION", sha: "a".repeat(40) },
  base: { ref: "main" },
};

Deno.test("checkPullRequest takes a pull request with the fields cascade reads", () => {
  assert.equal(checkPullRequest(GOOD), null);
  const { merged: _, ...noMerged } = GOOD;
  assert.equal(checkPullRequest(noMerged), null);
  assert.equal(checkPullRequest({ ...GOOD, title: 5, extra: [1] }), null);
});

Deno.test("checkPullRequest names the first field out of shape", () => {
  const cases: [unknown, string][] = [
    [null, "a pull request is not an object"],
    [[GOOD], "a pull request is not an object"],
    ["7", "a pull request is not an object"],
    [{ ...GOOD, number: 0 }, "number is not a positive integer"],
    [{ ...GOOD, number: 1.5 }, "number is not a positive integer"],
    [{ ...GOOD, number: "7" }, "number is not a positive integer"],
    [{ ...GOOD, state: null }, "state is not a string"],
    [{ ...GOOD, merged: "yes" }, "merged is not a boolean"],
    [{ ...GOOD, head: null }, "head is not an object"],
    [{ ...GOOD, head: { sha: "a" } }, "head.ref is not a string"],
    [{ ...GOOD, head: { ref: "x" } }, "head.sha is not a string"],
    [{ ...GOOD, base: "main" }, "base is not an object"],
    [{ ...GOOD, base: { ref: 1 } }, "base.ref is not a string"],
  ];
  for (const [value, reason] of cases) {
    assert.equal(checkPullRequest(value), reason, JSON.stringify(value));
  }
});

Deno.test("the merge styles are Gitea's, in documentation order", () => {
  assert.deepEqual(MERGE_STYLES, [
    "merge",
    "rebase",
    "squash",
    "fast-forward-only",
  ]);
});
