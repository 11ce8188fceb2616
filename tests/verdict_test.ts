import assert from "node:assert/strict";
import { exitWithVerdicts, runVerdicts } from "../lib/report/verdict.ts";
import type { Report } from "../lib/model.ts";

function report(over: Record<string, unknown>): Report {
  return {
    command: "push",
    version: "1.0.0",
    dryRun: false,
    results: [],
    ...over,
  } as unknown as Report;
}

Deno.test("push refused for its v prefix exits 2 with the fix", () => {
  const verdicts = runVerdicts(report({
    version: "v0.1.16",
    results: [
      { status: "skipped", skip: "prefix", previous: "0.1.15" },
      { status: "updated" },
    ],
  }));
  assert.deepEqual(verdicts, [{
    code: 2,
    headline:
      '1 of 2 templates holds 0.1.15, without a leading "v": did you mean 0.1.16? Nothing was pushed to it; pass --allow-prefix-change to write v0.1.16 as given',
  }]);
});

Deno.test("status gives the prefix as a hint, without an exit code", () => {
  const verdicts = runVerdicts(report({
    command: "status",
    version: "0.2.0",
    results: [
      { drift: true, current: "v0.1.0" },
      { drift: true, current: "v0.1.0" },
    ],
  }));
  assert.deepEqual(verdicts, [{
    code: null,
    headline:
      'all 2 templates hold v0.1.0, with a leading "v": did you mean v0.2.0?',
  }]);
});

Deno.test("nothing matched: one headline with the flag, the name and the near name", () => {
  const reason =
    "not wired (--probe Dockerfil: not found; did you mean Dockerfile?)";
  const [verdict] = runVerdicts(report({
    results: [
      { status: "skipped", skip: "probe", reason },
      {
        status: "skipped",
        skip: "probe",
        reason: "not wired (--probe Dockerfil: not found)",
      },
    ],
  }));
  assert.deepEqual(verdict, {
    code: 1,
    headline:
      "nothing matched --probe Dockerfil in any of 2 templates: nothing was pushed; did you mean Dockerfile?",
  });
  const [dry] = runVerdicts(report({
    dryRun: true,
    results: [{ status: "skipped", skip: "probe", reason: "odd" }],
  }));
  assert.deepEqual(dry, {
    code: 1,
    headline:
      "every one of 1 template was skipped (odd); nothing was built: check --probe, --file and --workflow",
  });
  // One template that did something: no verdict.
  assert.deepEqual(
    runVerdicts(report({
      results: [{ status: "skipped", skip: "probe", reason }, {
        status: "unchanged",
      }],
    })),
    [],
  );
  assert.deepEqual(runVerdicts(report({})), []);
});

Deno.test("credentials refused by several templates get one headline", () => {
  const auth = { status: "failed", error: { kind: "auth", message: "x" } };
  const [v] = runVerdicts(
    report({ results: [auth, auth, { status: "updated" }] }),
  );
  assert.equal(v?.code, null);
  assert.match(
    v!.headline,
    /^the server refused the credentials for 2 of 3 templates: check that the token .* may write to these repos$/,
  );
  assert.deepEqual(
    runVerdicts(report({ results: [auth, { status: "updated" }] })),
    [],
  );
});

Deno.test("exitWithVerdicts: 3 and 130 stand, else the highest code", () => {
  const usage = { code: 2, headline: "" };
  const hint = { code: null, headline: "" };
  assert.equal(exitWithVerdicts(0, []), 0);
  assert.equal(exitWithVerdicts(0, [hint]), 0);
  assert.equal(exitWithVerdicts(1, [hint]), 1);
  assert.equal(exitWithVerdicts(1, [usage, { code: 1, headline: "" }]), 2);
  assert.equal(exitWithVerdicts(3, [usage]), 3);
  assert.equal(exitWithVerdicts(130, [usage]), 130);
});
