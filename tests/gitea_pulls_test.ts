/**
 * Checks the pulls stand-in (`support/gitea_pulls.ts`) against the Swagger
 * files Gitea ships (1.22.6, 1.24.0, 1.25.4; their definitions are kept in
 * the repo, `tests/fixtures/gitea/`, and a missing one fails), with ajv: what it answers must be a
 * `PullRequest` (every property in the definition, of its type), and what
 * cascade sends must be a `CreatePullRequestOption`,
 * `EditPullRequestOption` or `MergePullRequestOption`.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "npm:ajv@8.20.0";
import { Fixture, runCascade } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import { attachPulls, protectedWords } from "./support/gitea_pulls.ts";

const TOKEN = "pulls-shape-t0ken";
const DIR = fileURLToPath(new URL("./fixtures/gitea", import.meta.url));
const VERSIONS = ["1.22.6", "1.24.0", "1.25.4"] as const;

type Schema = Record<string, unknown>;

async function swagger(version: string): Promise<Schema> {
  return JSON.parse(await Deno.readTextFile(`${DIR}/swagger-${version}.json`));
}

/**
 * The validators of one Swagger file's definitions, closed: an object
 * definition allows no property it does not list (Swagger leaves that
 * open). The definitions are compiled once, shared by every validator.
 */
function validators(doc: Schema): (name: string) => ValidateFunction {
  const definitions = structuredClone(doc["definitions"]) as Record<
    string,
    Schema
  >;
  for (const def of Object.values(definitions)) {
    if (def["properties"] && def["additionalProperties"] === undefined) {
      def["additionalProperties"] = false;
    }
  }
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
  });
  ajv.addSchema({ definitions }, "gitea");
  return (name) => ajv.compile({ $ref: `gitea#/definitions/${name}` });
}

/** Go sends nil pointers and slices as null: those are left out. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== null).map((
      [k, v],
    ) => [k, withoutNulls(v)]),
  );
}

function assertFits(check: ValidateFunction, value: unknown, what: string) {
  assert.ok(
    check(withoutNulls(value)),
    `${what}: ${JSON.stringify(check.errors?.slice(0, 5))}`,
  );
}

const docs = new Map<string, Schema>();
for (const version of VERSIONS) {
  docs.set(version, await swagger(version));
}

Deno.test({
  name:
    `pulls stand-in: answers and cascade's requests match the Swagger definitions of ${
      VERSIONS.join(", ")
    }`,
  fn: async () => {
    await using fx = await Fixture.create();
    await fx.repo("org/a", { ".runtime-version": "0.1\n" });
    await using gitea = await startGitea({
      root: `${fx.root}/srv`,
      token: TOKEN,
    });
    const pulls = attachPulls(gitea, `${fx.root}/srv`);
    await pulls.protect("org/a");
    const common = ["--base-url", gitea.origin, "--repo", "org/a"];
    const env = { CASCADE_TOKEN: TOKEN };
    for (const v of ["0.2", "0.3"]) {
      const run = await runCascade(
        ["push", v, ...common, "--via", "pr", "--auto-merge"],
        env,
      );
      assert.equal(run.code, 0, run.stdout + run.stderr);
    }
    const sent = gitea.api.requests.filter((r) => r.body !== null);
    const bodyOf = (method: string, tail: RegExp) =>
      sent.filter((r) => r.method === method && tail.test(r.path))
        .map((r) => JSON.parse(r.body ?? "null"));
    const created = bodyOf("POST", /\/pulls$/);
    const merges = bodyOf("POST", /\/pulls\/\d+\/merge$/);
    assert.equal(created.length, 1, "one pull request for both versions");
    assert.equal(merges.length, 2, "a merge asked for each head");
    assert.equal(
      gitea.api.requests.filter((r) => r.method === "DELETE").length,
      1,
      "the old head's schedule cancelled",
    );
    const api = `${gitea.origin}/api/v1/repos/org/a`;
    const headers = { Authorization: `token ${TOKEN}` };
    const answers: unknown[] = [];
    for (
      const path of [
        "/pulls?state=all",
        "/pulls/1",
        "/pulls/main/cascade/runtime-version",
      ]
    ) {
      const response = await fetch(`${api}${path}`, { headers });
      assert.equal(response.status, 200, path);
      const body = await response.json();
      for (const item of Array.isArray(body) ? body : [body]) {
        assert.equal(item.head.ref, "cascade/runtime-version");
        assert.equal(item.state, "open");
        answers.push(item);
      }
    }
    assert.equal(answers.length, 3);
    for (const [version, doc] of docs) {
      const validator = validators(doc);
      const pullRequest = validator("PullRequest");
      const create = validator("CreatePullRequestOption");
      const merge = validator("MergePullRequestOption");
      for (const body of created) {
        assertFits(create, body, `${version} POST /pulls`);
      }
      for (const body of merges) {
        assertFits(merge, body, `${version} POST …/merge`);
      }
      for (const item of answers) {
        assertFits(pullRequest, item, `${version} PullRequest`);
      }
      // The checks can fail: a property the definition lacks is refused.
      assert.equal(
        pullRequest(withoutNulls({ ...(answers[0] as object), extra: 1 })),
        false,
      );
      assert.equal(merge({ head_commit_id: "x" }), false, "Do is required");
    }
    const missing = await fetch(`${api}/pulls/9`, { headers });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  },
});

Deno.test("pulls stand-in: the protected-branch words are Gitea's, by version", () => {
  assert.deepEqual(protectedWords("1.22.6", "main"), [
    "Gitea: Not allowed to push to protected branch main",
  ]);
  assert.deepEqual(protectedWords("1.24.0", "main"), [
    "error:",
    "error: Not allowed to push to protected branch main",
    "error:",
  ]);
});
