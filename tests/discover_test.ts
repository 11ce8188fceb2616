import assert from "node:assert/strict";
import {
  discoverRepos,
  type Discovery,
  discoveryError,
  lookUpRepo,
  nameProblem,
} from "../lib/forge/discover.ts";
import type { Repository } from "../lib/forge/types.ts";
import { ForgeAccess, type PermissionQuery } from "../lib/forge/access.ts";
import { ForgeClient, ForgeError } from "../lib/forge/client.ts";
import { EXIT, UsageError } from "../lib/errors.ts";
import { tokenOrigins } from "../lib/credentials.ts";
import { listDifferences } from "../lib/targets/check.ts";
import type { TargetResult } from "../lib/targets/step.ts";
import { Fixture } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";

const granted = () => "granted" as const;
const settings = { allowInsecureHttp: false, timeout: 5 };

/** The `--base-url` server's client, as a run's access opens it. */
function openForge(
  options: typeof settings & { baseUrl: string },
  env: (name: string) => string | undefined,
  flag: string,
  query: PermissionQuery,
): ForgeClient {
  return ForgeAccess.fromEnv(options, env, query).server(flag);
}

Deno.test("nameProblem() accepts Gitea's names and refuses anything else", () => {
  for (const ok of ["org/app", "a_b/c.d-e", "Org/Repo_1"]) {
    assert.equal(nameProblem(ok), null, ok);
  }
  for (
    const bad of [
      "org/a b",
      "org/\u001b[31m",
      "org/a/b",
      "org/.hidden",
      "org/x.git",
      "org/..",
      "-org/x",
      `org/${"x".repeat(101)}`,
      "org/<b>",
      "org/a|b",
    ]
  ) {
    assert.match(nameProblem(bad) ?? "", /does not allow/, bad);
  }
});

/**
 * What discovery makes of one listed repo `fullName` of its owner, with
 * `--match` globs: a client that lists only it.
 */
function discoverOne(
  fullName: string,
  match: string[] = [],
): Promise<Discovery> {
  const [owner = "", ...rest] = fullName.split("/");
  const repo = {
    name: rest.join("/"),
    full_name: fullName,
    owner: { login: owner },
    archived: false,
    fork: false,
    mirror: false,
    empty: false,
  } as Repository;
  const client = {
    listOrgRepos: () => Promise.resolve({ value: [repo] }),
  } as unknown as ForgeClient;
  return discoverRepos(client, {
    owners: [owner],
    match,
    exclude: [],
    topics: [],
  });
}

/** Whether `--match glob` keeps the listed repo `fullName`. */
async function globMatches(glob: string, fullName: string): Promise<boolean> {
  return (await discoverOne(fullName, [glob])).repos.includes(fullName);
}

Deno.test("a name from the server is shown with name characters only, capped", async () => {
  const shown = async (name: string) =>
    (await discoverOne(name)).excluded[0]?.repo ?? "";
  assert.equal(await shown("org/\u001b[2J|x"), "org/??2J?x");
  assert.equal((await shown("o/" + "y".repeat(200))).length, 100);
});

Deno.test("--match globs match names, or owner/name when the glob has a /, ignoring case", async () => {
  assert.ok(await globMatches("t-*", "tpl/T-Node"));
  assert.ok(await globMatches("t-?ode", "tpl/t-node"));
  assert.ok(!await globMatches("t-?ode", "tpl/t-nnode"));
  assert.ok(!await globMatches("*", "tpl/a/b"));
  assert.ok(await globMatches("tpl/*", "tpl/x"));
  assert.ok(!await globMatches("other/*", "tpl/x"));
  assert.ok(await globMatches("a.b", "o/a.b"));
  assert.ok(!await globMatches("a.b", "o/axb"), "a dot is a dot");
});

Deno.test("the --base-url server's API keeps the base's path prefix; no server or credentials are refused", async () => {
  // The path the server's client asks, on a loopback server.
  const asked: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      asked.push(new URL(request.url).pathname);
      return Response.json({ version: "1.22.6" });
    },
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}/gitea/`;
    await openForge(
      { ...settings, baseUrl: base },
      () => undefined,
      "--org",
      granted,
    )
      .version();
    assert.deepEqual(asked, ["/gitea/api/v1/version"]);
  } finally {
    await server.shutdown();
  }
  const forge = (baseUrl: string | undefined) => () =>
    ForgeAccess.fromToken(
      null,
      { ...settings, baseUrl },
      () => undefined,
      granted,
    )
      .server("--org");
  assert.throws(forge(undefined), /--org needs the server/);
  assert.throws(forge("https://u:p@git.example.com"), /without credentials/);
  assert.throws(forge("ssh://git@x/"), /http\(s\)/);
  assert.deepEqual(
    [
      ...tokenOrigins(
        [],
        { baseUrl: "https://git.example.com/gitea", tokenOrigin: [] },
        () => undefined,
      ),
    ],
    ["https://git.example.com"],
    "the API token goes to the --base-url server",
  );
});

Deno.test("openForge() refuses without --allow-net for the host (exit 2, naming the flag), and a token over plain http", () => {
  const seen: Deno.PermissionDescriptor[] = [];
  const denied = (d: Deno.PermissionDescriptor) => {
    seen.push(d);
    return "prompt" as const;
  };
  try {
    openForge(
      { ...settings, baseUrl: "https://git.example.com:8443" },
      () => undefined,
      "--org",
      denied,
    );
    assert.fail("expected a UsageError");
  } catch (error) {
    assert.ok(error instanceof UsageError);
    assert.equal(error.exitCode, EXIT.usage);
    assert.match(
      error.message,
      /^--org reads the server's API and needs --allow-net \(for git\.example\.com:8443\)/,
    );
  }
  assert.deepEqual(seen, [{ name: "net", host: "git.example.com:8443" }]);
  assert.throws(
    () =>
      openForge(
        { ...settings, baseUrl: "http://git.example.com" },
        (n) => (n === "CASCADE_TOKEN" ? "t" : undefined),
        "--org",
        granted,
      ),
    /refusing to send the token over plain http to git\.example\.com/,
  );
  assert.ok(
    openForge(
      { ...settings, baseUrl: "http://127.0.0.1:9" },
      (n) => (n === "CASCADE_TOKEN" ? "t" : undefined),
      "--org",
      granted,
    ) instanceof ForgeClient,
  );
});

Deno.test("discoveryError() maps an unknown owner to 2, a refused token to 3, the rest to 1", () => {
  const error = (kind: "not_found" | "auth" | "network", path: string) =>
    new ForgeError(kind, "GET x answered", {
      status: 404,
      method: "GET",
      path,
    });
  const unknown = discoveryError(
    error("not_found", "/api/v1/users/nobody/repos"),
    "nobody",
  );
  assert.ok(unknown instanceof UsageError);
  assert.equal(unknown.exitCode, EXIT.usage);
  assert.match(unknown.message, /^--org nobody: no organisation or user/);
  const refused = discoveryError(error("auth", "/api/v1/orgs/o/repos"), "o");
  assert.equal((refused as UsageError).exitCode, EXIT.credentials);
  const down = discoveryError(error("network", "/api/v1/orgs/o/repos"), "o");
  assert.equal((down as UsageError).exitCode, EXIT.failed);
  const other = new TypeError("boom");
  assert.equal(discoveryError(other, "o"), other);
});

Deno.test("discoverRepos() and lookUpRepo() against the stand-in: owner mismatch, renamed, missing", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({ root: `${fx.root}/srv`, token: "t" });
  await fx.repo("org/app", { ".runtime-version": "0.1.0\n" });
  await fx.repo("org/old-fork", { ".runtime-version": "0.1.0\n" });
  gitea.api.setFlags("org/old-fork", { fork: true });
  gitea.api.rename("org/was", "org/app");
  const client = new ForgeClient({
    apiBase: `${gitea.origin}/api/v1`,
    authorization: "token t",
    allowedOrigins: new Set([gitea.origin]),
    timeoutMs: 5000,
  });
  const found = await discoverRepos(client, {
    owners: ["org", "org"],
    match: [],
    exclude: [],
    topics: [],
  });
  assert.deepEqual(found.repos, ["org/app"]);
  assert.deepEqual(found.excluded, [{ repo: "org/old-fork", reason: "fork" }]);
  assert.equal(
    gitea.api.requests.filter((r) => r.path === "/api/v1/orgs/org/repos")
      .length,
    1,
    "an owner given twice is listed once",
  );
  assert.deepEqual(await lookUpRepo(client, "org/app"), {
    state: "live",
    fullName: "org/app",
  });
  assert.deepEqual(await lookUpRepo(client, "org/was"), {
    state: "renamed",
    to: "org/app",
  });
  assert.deepEqual(await lookUpRepo(client, "org/none"), { state: "missing" });
  assert.deepEqual(await lookUpRepo(client, "org/old-fork"), {
    state: "left out",
    reason: "fork",
  });
  // A listing that names a repo of another owner is left out.
  const page = (await client.getRepo("org", "app")).value;
  gitea.api.inject(
    1,
    () => Response.json([{ ...page, full_name: "evil/app" }]),
  );
  const odd = await discoverRepos(client, {
    owners: ["org"],
    match: [],
    exclude: [],
    topics: [],
  });
  assert.deepEqual(odd.repos, []);
  assert.match(odd.excluded[0]?.reason ?? "", /named for another owner/);
});

Deno.test("listDifferences() leaves unwired and unreadable server repos out of what the file lacks", () => {
  const result = (wired: boolean | null, error = false): TargetResult => ({
    repo: "x",
    url: "u",
    branch: "main",
    wired,
    ...(error ? { error: { kind: "network", message: "x: down" } } : {}),
  });
  const results = new Map<string, TargetResult>([
    ["k-a", result(true)],
    ["k-b", result(false)],
    ["k-c", result(null, true)],
    ["k-d", result(true, true)],
  ]);
  const lines = listDifferences(
    "list.txt",
    [{ name: "o/d", key: "K-D" }],
    [
      { name: "o/a", key: "k-a" },
      { name: "o/b", key: "k-b" },
      { name: "o/c", key: "k-c" },
    ],
    results,
    true,
  );
  assert.deepEqual(lines, [
    "check o/d in list.txt: it could not be read (network): x: down",
    "add o/a to list.txt: a wired template the server has",
  ]);
  assert.deepEqual(
    listDifferences("f", [], [{ name: "o/a", key: "k-a" }], new Map(), false),
    ["add o/a to f: a template the server has"],
  );
});
