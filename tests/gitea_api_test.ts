/**
 * Checks the Gitea stand-in's answers against the Swagger files Gitea
 * ships (1.22.6, 1.24.0, 1.25.4: their `definitions`, `responses` and the
 * paths cascade uses, kept in `tests/fixtures/gitea/` by its
 * `extract.ts`), so it cannot drift from Gitea's shapes:
 * every property it sends must exist in the definition with a compatible
 * JSON type, and required ones must be present.
 */

import assert from "node:assert/strict";
import { Fixture } from "./support/fixtures.ts";
import {
  combinedState,
  type ProfileName,
  startGitea,
} from "./support/gitea_api.ts";

const TOKEN = "shape-t0ken";
const DIR = new URL("./fixtures/gitea/", import.meta.url);
const VERSIONS = ["1.22.6", "1.24.0", "1.25.4"] as const;

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  schema?: Schema;
};
type Swagger = {
  definitions: Record<string, Schema>;
  responses: Record<string, Schema>;
  paths: Record<
    string,
    Record<string, { responses: Record<string, Schema> }>
  >;
};

const swaggers = new Map<string, Swagger>();
/** The kept Swagger of `version`; a missing file fails the test. */
async function swagger(version: string): Promise<Swagger> {
  let doc = swaggers.get(version);
  if (doc === undefined) {
    const file = new URL(`swagger-${version}.json`, DIR);
    doc = JSON.parse(await Deno.readTextFile(file)) as Swagger;
    swaggers.set(version, doc);
  }
  return doc;
}

/**
 * Values Gitea sends that its Swagger does not list: the combined state
 * `""` of a commit without statuses (NOTES.md; the 1.25 enum omits it).
 */
const KNOWN_EXTRAS: Record<string, unknown[]> = {
  "CombinedStatus.state": [""],
};

/** The 200 schema of `method path` (a Swagger path template). */
function responseSchema(
  doc: Swagger,
  path: string,
  method: string,
  status = "200",
): Schema {
  let response = doc.paths[path]?.[method]?.responses[status];
  assert.ok(response, `${method} ${path} ${status} is not in the Swagger`);
  if (response.$ref) {
    response = doc.responses[response.$ref.replace("#/responses/", "")];
  }
  assert.ok(response?.schema, `${method} ${path} has no schema`);
  return response.schema;
}

/** Every way `value` departs from `schema`; empty when it fits. */
function departures(
  doc: Swagger,
  schema: Schema,
  value: unknown,
  where: string,
  name = "",
): string[] {
  if (schema.$ref) {
    const ref = schema.$ref.replace("#/definitions/", "");
    const def = doc.definitions[ref];
    if (!def) return [`${where}: unknown definition ${ref}`];
    // Go nil pointers to structs are sent as null.
    if (value === null && (def.type === "object" || def.properties)) return [];
    return departures(doc, def, value, where, ref);
  }
  const extra = KNOWN_EXTRAS[`${name}.${where.split(".").pop()}`];
  if (extra?.includes(value)) return [];
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") return [`${where}: not a string`];
      if (schema.enum && !schema.enum.includes(value)) {
        return [`${where}: ${JSON.stringify(value)} not in the enum`];
      }
      if (schema.format === "date-time" && Number.isNaN(Date.parse(value))) {
        return [`${where}: not a date-time`];
      }
      return [];
    case "integer":
      return Number.isInteger(value) ? [] : [`${where}: not an integer`];
    case "number":
      return typeof value === "number" ? [] : [`${where}: not a number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${where}: not a boolean`];
    case "array":
      // Go nil slices are sent as null.
      if (value === null) return [];
      if (!Array.isArray(value)) return [`${where}: not an array`];
      return value.flatMap((item, i) =>
        departures(doc, schema.items ?? {}, item, `${where}[${i}]`)
      );
    default: {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return [`${where}: not an object`];
      }
      const record = value as Record<string, unknown>;
      const out: string[] = [];
      for (const key of schema.required ?? []) {
        if (!(key in record)) out.push(`${where}.${key}: required, missing`);
      }
      for (const [key, item] of Object.entries(record)) {
        const property = schema.properties?.[key];
        if (property) {
          out.push(...departures(doc, property, item, `${where}.${key}`, name));
        } else if (typeof schema.additionalProperties === "object") {
          out.push(
            ...departures(
              doc,
              schema.additionalProperties,
              item,
              `${where}.${key}`,
            ),
          );
        } else if (schema.additionalProperties !== true) {
          out.push(`${where}.${key}: not in the definition ${name}`);
        }
      }
      return out;
    }
  }
}

/** Fetches `path` with the token; returns the response and its JSON. */
async function get(
  origin: string,
  path: string,
  authorization: string | null = `token ${TOKEN}`,
): Promise<{ response: Response; body: unknown }> {
  const response = await fetch(`${origin}/api/v1${path}`, {
    headers: authorization === null ? {} : { Authorization: authorization },
    redirect: "manual",
  });
  const text = await response.text();
  return { response, body: text === "" ? null : JSON.parse(text) };
}

for (
  const [version, profile] of VERSIONS.flatMap((v) =>
    [[v, null], [v, `gitea-${v}` as ProfileName]] as const
  )
) {
  Deno.test({
    name: `stand-in answers match Gitea ${version}'s Swagger definitions${
      profile ? ` (profile ${profile})` : ""
    }`,
    async fn() {
      const doc = await swagger(version);
      await using fx = await Fixture.create();
      await using gitea = await startGitea({
        root: `${fx.root}/srv`,
        token: TOKEN,
        ...(profile ? { profile } : { version }),
      });
      const path = await fx.repo("org/app", { ".runtime-version": "0.1\n" });
      await fx.repo("org/empty", null);
      gitea.api.setFlags("org/app", { topics: ["template"], archived: true });
      const sha = await fx.tip(path) ?? "";
      const check = async (
        template: string,
        actual: string,
        method = "get",
      ) => {
        const { response, body } = await get(gitea.origin, actual);
        assert.equal(response.status, 200, `${actual}: ${response.status}`);
        const problems = departures(
          doc,
          responseSchema(doc, template, method),
          body,
          actual,
        );
        assert.deepEqual(problems, [], `${version} ${actual}`);
        return body as Record<string, unknown>;
      };
      assert.deepEqual(await check("/version", "/version"), { version });
      const repos = await check("/orgs/{org}/repos", "/orgs/org/repos");
      assert.equal((repos as unknown as unknown[]).length, 2);
      const repo = await check("/repos/{owner}/{repo}", "/repos/org/app");
      assert.equal(repo.default_branch, "main");
      assert.equal(repo.archived, true);
      assert.equal("topics" in repo, version !== "1.22.6");
      const empty = await check("/repos/{owner}/{repo}", "/repos/org/empty");
      assert.equal(empty.empty, true);
      await check("/repos/{owner}/{repo}/topics", "/repos/org/app/topics");
      const none = await check(
        "/repos/{owner}/{repo}/commits/{ref}/status",
        `/repos/org/app/commits/${sha}/status`,
      );
      assert.equal(none.state, "");
      assert.equal(none.total_count, 0);
      assert.equal(none.statuses, null);
      assert.equal(none.sha, version === "1.25.4" ? sha : "");
      assert.equal(none.url === "", version !== "1.25.4");
      gitea.api.postStatus("org/app", sha, {
        status: "pending",
        context: "ci / build (push)",
        description: "Waiting to run",
        target_url: `${gitea.origin}/org/app/actions/runs/1/jobs/0`,
      });
      gitea.api.postStatus("org/app", sha, {
        status: "warning",
        context: "ci / lint (push)",
        description: "Successful in 3s",
        target_url: "",
      });
      const combined = await check(
        "/repos/{owner}/{repo}/commits/{ref}/status",
        "/repos/org/app/commits/main/status",
      );
      assert.equal(combined.sha, sha);
      assert.equal(combined.total_count, 2);
      assert.equal(
        combined.state,
        version === "1.25.4" ? "pending" : "warning",
      );
      const history = await check(
        "/repos/{owner}/{repo}/commits/{ref}/statuses",
        "/repos/org/app/commits/main/statuses",
      ) as unknown as { status: string }[];
      assert.deepEqual(history.map((s) => s.status), ["warning", "pending"]);
      if (version !== "1.22.6") {
        await check(
          "/repos/{owner}/{repo}/actions/tasks",
          "/repos/org/app/actions/tasks",
        );
      }
      const denied = await get(gitea.origin, "/repos/org/app", null);
      assert.equal(denied.response.status, 401);
      assert.deepEqual(
        Object.keys(denied.body as object).sort(),
        ["message", "url"],
      );
      assert.deepEqual(
        departures(doc, { $ref: "#/definitions/APIError" }, denied.body, "401"),
        [],
      );
    },
  });
}

Deno.test("stand-in pages like Gitea: limit capped at 50, X-Total-Count, Link next and last", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  for (let i = 0; i < 120; i++) {
    const dir = `${fx.root}/srv/org/r-${String(i).padStart(3, "0")}.git`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/HEAD`, "ref: refs/heads/main\n");
  }
  const o = gitea.origin;
  const first = await get(o, "/orgs/org/repos?limit=100");
  assert.equal((first.body as unknown[]).length, 50);
  assert.equal(first.response.headers.get("x-total-count"), "120");
  assert.equal(
    first.response.headers.get("link"),
    `<${o}/api/v1/orgs/org/repos?limit=100&page=2>; rel="next",` +
      `<${o}/api/v1/orgs/org/repos?limit=100&page=3>; rel="last"`,
  );
  const last = await get(o, "/orgs/org/repos?page=3&limit=50");
  assert.equal((last.body as unknown[]).length, 20);
  assert.equal(
    last.response.headers.get("link"),
    `<${o}/api/v1/orgs/org/repos?limit=50&page=1>; rel="first",` +
      `<${o}/api/v1/orgs/org/repos?limit=50&page=2>; rel="prev"`,
  );
  const defaults = await get(o, "/orgs/org/repos");
  assert.equal((defaults.body as unknown[]).length, 30);
});

Deno.test("stand-in accepts token, Bearer and Basic credentials and refuses others", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fx.repo("org/app", { ".runtime-version": "0.1\n" });
  for (
    const header of [
      `token ${TOKEN}`,
      `Bearer ${TOKEN}`,
      `Basic ${btoa(`anyone:${TOKEN}`)}`,
      `Basic ${btoa(`${TOKEN}:`)}`,
    ]
  ) {
    const { response } = await get(gitea.origin, "/repos/org/app", header);
    assert.equal(response.status, 200, header);
  }
  for (const header of [null, "token nope", `Basic ${btoa("x:nope")}`]) {
    const { response } = await get(gitea.origin, "/repos/org/app", header);
    assert.equal(response.status, 401, String(header));
  }
  const missing = await get(gitea.origin, "/repos/org/nothing");
  assert.equal(missing.response.status, 404);
  assert.equal(gitea.api.requests.length, 8);
  assert.equal(gitea.api.requests[1]?.authorization, `Bearer ${TOKEN}`);
});

Deno.test("stand-in answers a renamed repo with 307 before auth, for the API and git", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  gitea.api.rename("org/old", "org/new");
  const api = await get(gitea.origin, "/repos/org/old/topics?x=1", null);
  assert.equal(api.response.status, 307);
  assert.equal(
    api.response.headers.get("location"),
    "/api/v1/repos/org/new/topics?x=1",
  );
  const git = await fetch(
    `${gitea.origin}/org/old.git/info/refs?service=git-upload-pack`,
    { redirect: "manual" },
  );
  await git.body?.cancel();
  assert.equal(git.status, 307);
  assert.equal(
    git.headers.get("location"),
    "/org/new.git/info/refs?service=git-upload-pack",
  );
});

Deno.test("stand-in offers dispatch from 1.24 and Forgejo 8, tasks from 1.23 and Forgejo 8", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fx.repo("org/app", {
    ".runtime-version": "0.1\n",
    ".gitea/workflows/build.yml": "on: workflow_dispatch\n",
  });
  const dispatch = async (workflow = "build.yml") => {
    const response = await fetch(
      `${gitea.origin}/api/v1/repos/org/app/actions/workflows/${workflow}/dispatches`,
      {
        method: "POST",
        headers: { Authorization: `token ${TOKEN}` },
        body: JSON.stringify({ ref: "main", inputs: { v: "1" } }),
      },
    );
    await response.body?.cancel();
    return response.status;
  };
  const tasks = async () =>
    (await get(gitea.origin, "/repos/org/app/actions/tasks")).response.status;
  assert.equal(await dispatch(), 404);
  assert.equal(await tasks(), 404);
  gitea.api.version = "8.0.0+gitea-1.22.0";
  assert.equal(await dispatch(), 204);
  assert.equal(await tasks(), 200, "Forgejo 8 lists runs in Gitea's shape");
  gitea.api.version = "1.24.0";
  assert.equal(await dispatch(), 204);
  assert.equal(await dispatch("other.yml"), 404, "no such workflow file");
  assert.equal(await tasks(), 200);
  assert.deepEqual(gitea.api.tasks("org/app").map((t) => t.event), [
    "workflow_dispatch",
    "workflow_dispatch",
  ]);
});

Deno.test("combinedState() follows Gitea's rules per version", () => {
  assert.equal(combinedState([], 1022), "");
  assert.equal(combinedState(["success", "warning"], 1022), "warning");
  assert.equal(combinedState(["pending", "error"], 1022), "failure");
  assert.equal(combinedState(["success", "warning"], 1025), "success");
  assert.equal(combinedState(["skipped", "pending"], 1025), "pending");
  assert.equal(combinedState(["pending", "error"], 1025), "failure");
});

Deno.test({
  name: "the Swagger checker flags unknown properties, wrong types and enums",
  async fn() {
    const old = await swagger("1.22.6");
    const now = await swagger("1.25.4");
    assert.ok(old && now);
    const repo = { $ref: "#/definitions/Repository" };
    assert.deepEqual(departures(old, repo, { topics: [] }, "r"), [
      "r.topics: not in the definition Repository",
    ]);
    assert.deepEqual(departures(now, repo, { topics: ["a"] }, "r"), []);
    assert.deepEqual(departures(now, repo, { archived: "no" }, "r"), [
      "r.archived: not a boolean",
    ]);
    const status = { $ref: "#/definitions/CommitStatus" };
    assert.deepEqual(departures(now, status, { status: "green" }, "s"), [
      's.status: "green" not in the enum',
    ]);
    assert.deepEqual(departures(now, status, { id: 1.5 }, "s"), [
      "s.id: not an integer",
    ]);
  },
});
