/**
 * A forge API error carries what happened and what to do as fields
 * (`answer`, `advice`); its message is their one rendering. A dispatch's
 * refusal renders the answer with its own, specific advice.
 */

import assert from "node:assert/strict";
import {
  classifyFetchError,
  classifyHttpStatus,
  ForgeError,
  forgeError,
  serverWords,
} from "../lib/forge/forge_error.ts";
import { dispatchFailure } from "../lib/modes/dispatch/errors.ts";
import { ADVICE } from "../lib/errors.ts";

const URL_A = new URL("https://git.test/api/v1/repos/org/app/actions");

Deno.test("forge error: answer and advice are fields; the message is `answer; advice`", () => {
  const error = forgeError("not_found", 404, "GET", URL_A, {
    what: "answered 404",
    server: "repo gone",
  });
  assert.ok(error instanceof ForgeError);
  assert.equal(
    error.answer,
    'GET /api/v1/repos/org/app/actions on git.test answered 404: "repo gone"',
  );
  assert.equal(error.advice, ADVICE.not_found);
  assert.equal(error.message, `${error.answer}; ${ADVICE.not_found}`);
  assert.deepEqual([error.kind, error.status, error.method, error.path], [
    "not_found",
    404,
    "GET",
    "/api/v1/repos/org/app/actions",
  ]);
  const plain = forgeError("moved", 301, "GET", URL_A, {
    what: "redirects elsewhere",
    plain: true,
  });
  assert.equal(plain.answer, "git.test: redirects elsewhere");
  assert.equal(
    plain.advice,
    "update the repo's address to where it moved, if that is right",
  );
});

Deno.test("forge error: statuses and fetch failures are classified", () => {
  assert.deepEqual(
    [401, 403, 404, 400, 422, 408, 429, 502, 301, 418].map(classifyHttpStatus),
    [
      "auth",
      "auth",
      "not_found",
      "invalid",
      "invalid",
      "timeout",
      "rate-limited",
      "network",
      "moved",
      "unknown",
    ],
  );
  assert.equal(
    classifyFetchError(new DOMException("t", "TimeoutError")),
    "timeout",
  );
  assert.equal(classifyFetchError(new TypeError("refused")), "network");
  assert.equal(classifyFetchError("odd"), "unknown");
});

Deno.test("forge error: the server's words are bounded and escaped", () => {
  const enc = new TextEncoder();
  assert.equal(
    serverWords(enc.encode('{"message":"no\\nway\\u001b[31m"}')),
    "no\\nway\\x1b[31m",
  );
  assert.equal(serverWords(enc.encode("  plain text  ")), "plain text");
  const long = serverWords(enc.encode("x".repeat(5000)));
  assert.equal(long.length, 200);
  assert.ok(long.endsWith("..."));
});

Deno.test("dispatch errors: the answer keeps, the advice is the dispatch's own", () => {
  const what = { workflow: "publish.yml", branch: "main" };
  const words = (status: number) =>
    forgeError(classifyHttpStatus(status), status, "POST", URL_A, {
      what: `answered ${status}`,
      server: "a; b",
    });
  const missing = dispatchFailure(words(404), "org/app", what);
  assert.deepEqual(missing, {
    kind: "not_found",
    message:
      'org/app: dispatching publish.yml on main: POST /api/v1/repos/org/app/actions on git.test answered 404: "a; b"; the server has no workflow publish.yml on main (or the token cannot see the repo): add .gitea/workflows/publish.yml with an on: workflow_dispatch trigger, or pass --workflow',
  });
  assert.match(
    dispatchFailure(words(403), "org/app", what)?.message ?? "",
    /answered 403: "a; b"; the token may not run this repo's workflows/,
  );
  assert.match(
    dispatchFailure(words(400), "org/app", what)?.message ?? "",
    /; the server refused the ref or the inputs: check --input names/,
  );
  const busy = dispatchFailure(words(503), "org/app", what);
  assert.equal(busy?.kind, "network");
  assert.ok(busy?.message.endsWith(`"a; b"; ${ADVICE.network}`));
  assert.equal(dispatchFailure(new Error("x"), "org/app", what), null);
});

Deno.test("forge error: a message alone is the answer, with no advice; a dispatch adds its kind's", () => {
  const bare = new ForgeError("network", "HTTP 502", {
    status: 502,
    method: "POST",
    path: "/x",
  });
  assert.deepEqual([bare.message, bare.answer, bare.advice], [
    "HTTP 502",
    "HTTP 502",
    null,
  ]);
  assert.equal(
    dispatchFailure(bare, "org/app", { workflow: "p.yml", branch: "main" })
      ?.message,
    `org/app: dispatching p.yml on main: HTTP 502; ${ADVICE.network}`,
  );
});
