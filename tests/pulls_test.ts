import assert from "node:assert/strict";
import { MERGE_STYLES, PullsApi } from "../lib/forge/pulls.ts";
import { ForgeError } from "../lib/forge/client.ts";

/**
 * What `PullsApi.get` makes of a server answering `value`: null when it
 * takes it, else the field out of shape its `invalid` error names.
 */
async function checkPullRequest(value: unknown): Promise<string | null> {
  const api = new PullsApi({
    apiBase: "https://git.test/api/v1",
    authorization: null,
    allowedOrigins: new Set(),
    timeoutMs: 5000,
    fetch: () => Promise.resolve(Response.json(value)),
  });
  try {
    await api.get("org", "app", 7);
    return null;
  } catch (error) {
    assert.ok(error instanceof ForgeError, String(error));
    assert.equal(error.kind, "invalid");
    const why = /is not what Gitea sends \((.*?)\)/.exec(error.message);
    assert.ok(why, error.message);
    return why[1] ?? "";
  }
}

const GOOD = {
  number: 7,
  state: "open",
  merged: false,
  head: { ref: "cascade/VERSION", sha: "a".repeat(40) },
  base: { ref: "main" },
};

Deno.test("PullsApi.get() takes a pull request with the fields cascade reads", async () => {
  assert.equal(await checkPullRequest(GOOD), null);
  const { merged: _, ...noMerged } = GOOD;
  assert.equal(await checkPullRequest(noMerged), null);
  assert.equal(await checkPullRequest({ ...GOOD, title: 5, extra: [1] }), null);
});

Deno.test("PullsApi.get() names the first field out of shape", async () => {
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
    assert.equal(await checkPullRequest(value), reason, JSON.stringify(value));
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
