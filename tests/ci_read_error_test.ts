import assert from "node:assert/strict";
import { failedRead, unreachable } from "../lib/forge/ci_read_error.ts";
import { forgeError } from "../lib/forge/forge_error.ts";
import type { Target } from "../lib/targets/target.ts";

const TARGET: Target = {
  repo: "org/app",
  url: "http://127.0.0.1:3000/org/app.git",
  key: "127.0.0.1:3000/org/app",
  scheme: "http",
  origin: "http://127.0.0.1:3000",
  embedded: null,
};
const URL_ = new URL("http://127.0.0.1:3000/api/v1/repos/org/app/status");
const SOFAR = { state: "pending" as const, contexts: [], url: null };

function refused(status: number) {
  const kind = status === 404
    ? "not_found"
    : status >= 401 && status <= 403
    ? "auth"
    : "invalid";
  return forgeError(kind, status, "GET", URL_, { what: `answered ${status}` });
}

Deno.test("a template without an http(s) API reads no CI and says to pass --api-url", () => {
  assert.deepEqual(
    unreachable({
      ...TARGET,
      repo: "/srv/git/app",
      scheme: "file",
      origin: null,
    }),
    {
      state: "none",
      contexts: [],
      url: null,
      waitedMs: 0,
      note:
        "/srv/git/app is not an http(s) target: its API is unknown; pass --api-url",
    },
  );
});

Deno.test("a 404 is an error naming --base-url, or --api-url when it was given", () => {
  const out = failedRead(TARGET, refused(404), 1500, SOFAR, undefined);
  assert.equal(out.state, "error");
  assert.equal(out.waitedMs, 1500);
  assert.equal(
    out.note,
    "org/app: the forge API refused to read the CI (GET /api/v1/repos/org/app/status on 127.0.0.1:3000 answered 404; check --base-url (the API is read at its /api/v1) and the repo name, and that the token may read the repo)",
  );
  const api = failedRead(
    TARGET,
    refused(404),
    0,
    SOFAR,
    "http://127.0.0.1:3000/x",
  );
  assert.match(
    api.note!,
    /; check --api-url \(http:\/\/127\.0\.0\.1:3000\/x\): it should be the API's root, e\.g\. https:\/\/git\.example\.com\/api\/v1, and that the token may read the repo\)$/,
  );
  // The kind's own advice is replaced, not repeated.
  assert.ok(!api.note!.includes("check the repo name and --base-url"));
});

Deno.test("a 401 or 403 says the token must read, once", () => {
  for (const status of [401, 403]) {
    const out = failedRead(
      TARGET,
      refused(status),
      0,
      SOFAR,
      "http://h/api/v1",
    );
    assert.equal(out.state, "error");
    assert.ok(
      out.note!.endsWith(
        `answered ${status}; check that the token in CASCADE_TOKEN (or --token-env) is valid and may read this repo, and that --api-url (http://h/api/v1) is the API's root)`,
      ),
      out.note!,
    );
    assert.equal(out.note!.split("CASCADE_TOKEN").length, 2);
  }
});

Deno.test("408, 429, 5xx and no answer leave the CI pending, with the reason", () => {
  for (const status of [408, 429, 500, 503]) {
    const error = forgeError("network", status, "GET", URL_, {
      what: `answered ${status}`,
    });
    const out = failedRead(TARGET, error, 0, SOFAR, undefined);
    assert.equal(out.state, "pending", String(status));
    assert.ok(
      out.note!.startsWith(
        "org/app: could not read the CI over the API (network: GET",
      ),
    );
  }
  const plain = failedRead(
    TARGET,
    new Error("boom\nsecond line"),
    0,
    SOFAR,
    undefined,
  );
  assert.equal(
    plain.note,
    "org/app: could not read the CI over the API (boom)",
  );
  const thrown = failedRead(TARGET, "odd", 0, SOFAR, undefined);
  assert.equal(
    thrown.note,
    "org/app: could not read the CI over the API (odd)",
  );
});

Deno.test("a failure seen before the read failed stays a failure, with what was seen", () => {
  const contexts = [{
    context: "ci",
    state: "failure",
    targetUrl: null,
    description: "",
  }];
  const sofar = { state: "failure" as const, contexts, url: "http://h/run/1" };
  for (const error of [refused(404), new Error("reset")]) {
    const out = failedRead(TARGET, error, 10, sofar, undefined);
    assert.equal(out.state, "failure");
    assert.deepEqual(out.contexts, contexts);
    assert.equal(out.url, "http://h/run/1");
  }
});
