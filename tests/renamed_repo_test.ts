/**
 * A repo renamed on the server, named by its old name, with every command
 * that waits: `push --trigger dispatch --wait`, `push --wait` then
 * `status --ci`, and `push --via pr --auto-merge --wait`, each on a
 * profile that answers renames with 307 (up to 1.23; Forgejo 8 for the
 * dispatch, since Gitea 1.23 has no dispatch API) and one that answers
 * 301 (1.24+), green and red. The rename the preflight's git redirect
 * shows is carried to every later request of the run (git and API): only
 * the preflight's reads reach the old name. Every run is bounded: a run
 * still going after `BOUND_MS` (`support/bounded.ts`) is interrupted and fails its row
 * (a hang never blocks the suite). The rows of one command run at once,
 * each on its own stand-in; a failure names its row.
 */

import assert from "node:assert/strict";
import { Fixture, readReport } from "./support/fixtures.ts";
import { boundedCascade } from "./support/bounded.ts";
import { type GiteaServer, startGitea } from "./support/gitea_api.ts";
import { attachPulls } from "./support/gitea_pulls.ts";
import { type ProfileName, PROFILES } from "./support/gitea_profiles.ts";
import { template, WORKFLOW } from "./support/dispatch.ts";
import { FAST } from "./support/wait_fixtures.ts";
import type { PushReport, StatusReport } from "../lib/model.ts";
import { Renames } from "../lib/forge/renames.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import { PullsApi } from "../lib/forge/pulls.ts";
import { parseTarget } from "../lib/targets/target.ts";

const TOKEN = "tok_renamed_9d3b7e";
const ENV = { CASCADE_TOKEN: TOKEN };
const BUILD = "publish-image / build (push)";
/** cascade's own bounds, well inside `BOUND_MS` (`support/bounded.ts`). */
const LIMITS = ["--timeout", "5"];
/** The wait's bound, for the commands that wait. */
const WAIT = ["--wait", "--wait-timeout", "20s"];

/** One row: a profile and the CI outcome it plays. */
interface Row {
  profile: ProfileName;
  green: boolean;
}

/** Every row of `profiles`, green and red. */
function rows(...profiles: ProfileName[]): Row[] {
  return profiles.flatMap((profile) => [
    { profile, green: true },
    { profile, green: false },
  ]);
}

/** Runs every row at once; fails naming each row that failed. */
async function table(all: Row[], run: (row: Row) => Promise<void>) {
  const failed = (await Promise.allSettled(all.map(run))).flatMap((r, i) =>
    r.status === "rejected"
      ? [
        `${all[i]?.profile} ${all[i]?.green ? "green" : "red"}: ${
          (r.reason as Error)?.stack ?? r.reason
        }`,
      ]
      : []
  );
  assert.deepEqual(failed, []);
}

/**
 * Runs cascade with `argv` plus the bounds, the server and `--json`; a
 * run past `BOUND_MS` (`support/bounded.ts`) is interrupted and fails its row.
 */
async function bounded<R>(
  gitea: GiteaServer,
  json: string,
  argv: string[],
): Promise<{ code: number; out: string; report: R }> {
  const done = await boundedCascade(
    [...argv, ...LIMITS, "--base-url", gitea.origin, "--json", json],
    ENV,
    { ciPolling: FAST },
  );
  return {
    code: done.code,
    out: done.stdout + done.stderr,
    report: await readReport<R>(json),
  };
}

/** A stand-in playing `profile` with `org/new` and `org/old` renamed to it. */
async function renamed(
  fx: Fixture,
  profile: ProfileName,
  files: Record<string, string>,
): Promise<{ gitea: GiteaServer; repo: string; seed: string }> {
  const repo = await fx.repo("org/new", files);
  const gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    profile,
  });
  gitea.api.rename("org/old", "org/new");
  return { gitea, repo, seed: await fx.tip(repo) ?? "" };
}

/**
 * Only the preflight's reads went to the old name (git, before the rename
 * was known): no push, and no API request, was ever sent there.
 */
function onlyPreflightAtOldName(gitea: GiteaServer): void {
  const reads = new Set([
    "GET /org/old.git/info/refs",
    "POST /org/old.git/git-upload-pack",
  ]);
  assert.ok(gitea.api.redirected.length > 0, "the old name was asked first");
  assert.deepEqual(
    gitea.api.redirected.filter((r) => !reads.has(r)),
    [],
    "after the preflight, nothing went to the old name",
  );
  assert.deepEqual(
    gitea.api.requests.filter((r) => r.path.includes("/org/old")),
    [],
  );
}

/** A template wired to the version file: its Dockerfile copies it. */
const WIRED = {
  ".runtime-version": "0.1\n",
  Dockerfile: "COPY .runtime-version /\n",
};

/**
 * The one result of `run`, asserted ended as `status`, moved to `org/new`
 * and with the CI `green` asks for; `run`'s exit code follows the CI.
 */
function movedResult<R extends PushReport | StatusReport>(
  gitea: GiteaServer,
  run: { code: number; out: string; report: R },
  green: boolean,
  status?: string,
): R["results"][number] | undefined {
  assert.equal(run.code, green ? 0 : 1, run.out);
  const result = run.report.results[0];
  if (status !== undefined) {
    assert.equal((result as { status?: string })?.status, status, run.out);
  }
  assert.equal(result?.movedTo, `${gitea.origin}/org/new.git`);
  assert.equal(result?.ci?.state, green ? "success" : "failure", run.out);
  return result;
}

Deno.test("Renames: a rename is kept per API base, case-blind, and carried to the repo's paths below it", () => {
  const renames = new Renames();
  const base = "http://127.0.0.1:3000/gitea/api/v1";
  renames.learnFrom(
    base,
    new URL(`${base}/repos/org/old/actions/tasks`),
    new URL(`${base}/repos/org/new/actions/tasks`),
  );
  assert.equal(renames.repoPath(`${base}/`, "Org", "Old"), "/repos/org/new");
  assert.equal(renames.repoPath(base, "org", "other"), "/repos/org/other");
  // Another server's API knows nothing of it.
  assert.equal(
    renames.repoPath("http://127.0.0.1:4000/api/v1", "org", "old"),
    "/repos/org/old",
  );
  assert.equal(
    renames.isRenamed(base, new URL(`${base}/repos/org/new/pulls`)),
    true,
  );
  assert.equal(
    renames.isRenamed(base, new URL(`${base}/repos/org/newer/pulls`)),
    false,
  );
  // A redirect to another origin, or off the repo paths, is no rename.
  renames.learnFrom(
    base,
    new URL(`${base}/repos/org/a`),
    new URL("http://elsewhere.test/gitea/api/v1/repos/org/b"),
  );
  renames.learnFrom(
    base,
    new URL(`${base}/repos/org/a`),
    new URL(`${base}/version`),
  );
  assert.equal(renames.repoPath(base, "org", "a"), "/repos/org/a");
  // Renamed back: the old name is asked again.
  renames.learn(base, "/repos/org/old", "/repos/org/OLD");
  assert.equal(renames.repoPath(base, "org", "old"), "/repos/org/old");
});

Deno.test("one run's API clients share its renames: a 301 met by one, or the git layer's move, sends the others to the new name", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await renamed(
    fx,
    "gitea-1.24.0",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  await using _ = gitea;
  await fx.repo("org/b", { ".runtime-version": "0.1\n" });
  gitea.api.rename("org/a", "org/b");
  const access = ForgeAccess.fromToken(
    { value: TOKEN, source: "CASCADE_TOKEN" },
    { allowInsecureHttp: false, timeout: 5 },
    () => undefined,
  );
  const base = `${gitea.origin}/api/v1`;
  const wiring = {};
  const credentials = {
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([gitea.origin]),
  };
  // An API redirect met by one client (the dispatch POST, re-sent)...
  const dispatcher = access.clientFor(base, credentials, wiring);
  await dispatcher.dispatchWorkflow("org", "old", "publish-image.yml", "main");
  // ...and a move the git layer found, told to the access.
  const at = (path: string) => parseTarget(path, gitea.origin, fx.root);
  access.moved(at("org/a"), at("org/b"));
  const before = gitea.api.redirected.length;
  // Other clients of the run (a CI reader's, a pulls API) go straight there.
  const reader = access.clientFor(base, credentials, wiring);
  await reader.listActionTasks("org", "old");
  await reader.getRepo("org", "a");
  attachPulls(gitea, `${fx.root}/srv`);
  const pulls = new PullsApi({
    apiBase: base,
    ...credentials,
    timeoutMs: 5000,
    renames: access.renames,
  });
  assert.equal(await pulls.openFor("org", "a", "main", "x"), null);
  assert.deepEqual(gitea.api.redirected.slice(before), []);
  assert.deepEqual(
    gitea.api.requests.slice(-3).map((r) => `${r.method} ${r.path}`),
    [
      "GET /api/v1/repos/org/new/actions/tasks",
      "GET /api/v1/repos/org/b",
      "GET /api/v1/repos/org/b/pulls",
    ],
  );
  // A pulls API's write that meets the redirect carries it to its reads.
  const fresh = new PullsApi({
    apiBase: base,
    ...credentials,
    timeoutMs: 5000,
  });
  const asked = gitea.api.redirected.length;
  assert.equal(await fresh.cancelMerge("org", "a", 7), false);
  assert.equal(await fresh.openFor("org", "a", "main", "x"), null);
  assert.deepEqual(gitea.api.redirected.slice(asked), [
    "DELETE /api/v1/repos/org/a/pulls/7/merge",
  ]);
  assert.deepEqual(
    gitea.api.requests.slice(-2).map((r) => `${r.method} ${r.path}`),
    [
      "DELETE /api/v1/repos/org/b/pulls/7/merge",
      "GET /api/v1/repos/org/b/pulls",
    ],
  );
  // A client of another run knows nothing of them.
  const other = ForgeAccess.fromToken(
    { value: TOKEN, source: "CASCADE_TOKEN" },
    { allowInsecureHttp: false, timeout: 5 },
    () => undefined,
  ).clientFor(base, credentials, wiring);
  const { movedTo } = await other.getRepo("org", "a");
  assert.equal(movedTo, `${base}/repos/org/b`);
  assert.equal(gitea.api.redirected.at(-1), "GET /api/v1/repos/org/a");
});

Deno.test("a renamed repo, dispatch --wait (307 on Forgejo 8, 301 on Gitea 1.24): dispatched at the new name, the run followed to its end", async () => {
  await table(
    rows("forgejo-8.0", "gitea-1.24.0"),
    async ({ profile, green }) => {
      await using fx = await Fixture.create();
      const { gitea } = await renamed(
        fx,
        profile,
        template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
      );
      await using _ = gitea;
      gitea.api.configureDispatch("org/new", {
        outcome: green ? "success" : "failure",
      });
      const run = await bounded<PushReport>(gitea, `${fx.root}/d.json`, [
        "push",
        "0.3",
        "--trigger",
        "dispatch",
        "--repo",
        "org/old",
        ...WAIT,
      ]);
      const result = movedResult(gitea, run, green, "dispatched");
      assert.match(
        result?.ci?.contexts[0]?.targetUrl ?? "",
        new RegExp(`^${gitea.origin}/org/new/actions/runs/\\d+`),
      );
      // The server: one dispatch, at the new path, with the version.
      const posts = gitea.api.requests.filter((r) => r.method === "POST");
      assert.deepEqual(
        posts.map((r) => [r.path, JSON.parse(r.body ?? "null")]),
        [[
          "/api/v1/repos/org/new/actions/workflows/publish-image.yml/dispatches",
          { ref: "main", inputs: { runtime_version: "0.3" } },
        ]],
      );
      assert.equal(gitea.api.tasks("org/new").length, 1);
      assert.ok(
        gitea.api.requests.filter((r) => r.path.endsWith("/actions/tasks"))
          .length >= 2,
        "the runs list read before the dispatch and while following",
      );
      assert.equal(
        PROFILES[profile].renameStatus,
        profile === "forgejo-8.0" ? 307 : 301,
      );
      onlyPreflightAtOldName(gitea);
    },
  );
});

Deno.test("a renamed repo, push --wait then status --ci (307 on Gitea 1.23.6, 301 on 1.25.4): the commit lands at the new name, CI followed, status reads it there", async () => {
  await table(
    rows("gitea-1.23.6", "gitea-1.25.4"),
    async ({ profile, green }) => {
      await using fx = await Fixture.create();
      const { gitea, repo, seed } = await renamed(fx, profile, WIRED);
      await using _ = gitea;
      await gitea.api.configureCi("org/new", {
        contexts: [BUILD],
        outcome: green ? "success" : "failure",
      });
      const pushed = await bounded<PushReport>(gitea, `${fx.root}/p.json`, [
        "push",
        "0.2",
        "--repo",
        "org/old",
        ...WAIT,
      ]);
      const result = movedResult(gitea, pushed, green, "updated");
      // The server: one commit on the seed, at the new name, holding 0.2.
      const commit = await fx.show(repo, "main");
      assert.equal(commit.sha, result?.commit);
      assert.deepEqual(commit.parents, [seed]);
      assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
      assert.equal(await fx.count(repo), 2);
      assert.equal(
        gitea.api.statesOf("org/new", commit.sha).get(BUILD),
        green ? "success" : "failure",
      );

      const read = await bounded<StatusReport>(gitea, `${fx.root}/s.json`, [
        "status",
        "0.2",
        "--repo",
        "org/old",
        "--ci",
      ]);
      const status = movedResult(gitea, read, green);
      assert.equal(status?.current, "0.2", read.out);
      assert.equal(status?.drift, false);
      assert.ok(
        gitea.api.requests.some((r) =>
          r.path === `/api/v1/repos/org/new/commits/${commit.sha}/status`
        ),
      );
      onlyPreflightAtOldName(gitea);
    },
  );
});

Deno.test("a renamed repo, push --via pr --auto-merge --wait (307 on Gitea 1.22.6, 301 on 1.24.0): the pull request opened and merged at the new name", async () => {
  await table(
    rows("gitea-1.22.6", "gitea-1.24.0"),
    async ({ profile, green }) => {
      await using fx = await Fixture.create();
      const { gitea, repo, seed } = await renamed(fx, profile, WIRED);
      await using _ = gitea;
      const pulls = attachPulls(gitea, `${fx.root}/srv`);
      await pulls.protect("org/new");
      await gitea.api.configureCi("org/new", {
        contexts: [BUILD],
        outcome: green ? "success" : "failure",
      });
      const run = await bounded<PushReport>(gitea, `${fx.root}/pr.json`, [
        "push",
        "0.2",
        "--repo",
        "org/old",
        "--via",
        "pr",
        "--auto-merge",
        ...WAIT,
      ]);
      await pulls.settled();
      movedResult(gitea, run, green, green ? "merged" : "proposed");
      const pull = pulls.pulls("org/new")[0];
      assert.equal(pulls.pulls("org/new").length, 1);
      assert.equal(pull?.merged, green);
      assert.equal(
        await fx.text(repo, "main", ".runtime-version"),
        green ? "0.2\n" : "0.1\n",
      );
      if (!green) assert.equal(await fx.tip(repo), seed, "main untouched");
      onlyPreflightAtOldName(gitea);
    },
  );
});

Deno.test("a renamed repo as the canary (push --wait --canary 1, 301 on 1.24.0): its green CI lets the next template through", async () => {
  await using fx = await Fixture.create();
  const { gitea, repo } = await renamed(fx, "gitea-1.24.0", WIRED);
  await using _ = gitea;
  const next = await fx.repo("org/next", WIRED);
  for (const name of ["org/new", "org/next"]) {
    await gitea.api.configureCi(name, { contexts: [BUILD] });
  }
  const run = await bounded<PushReport>(gitea, `${fx.root}/c.json`, [
    "push",
    "0.2",
    "--repo",
    "org/old",
    "--repo",
    "org/next",
    "--canary",
    "1",
    ...WAIT,
  ]);
  assert.equal(run.code, 0, run.out);
  assert.deepEqual(
    run.report.results.map((r) => [r.repo, r.status, r.ci?.state, r.movedTo]),
    [
      ["org/old", "updated", "success", `${gitea.origin}/org/new.git`],
      ["org/next", "updated", "success", undefined],
    ],
  );
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.text(next, "main", ".runtime-version"), "0.2\n");
  onlyPreflightAtOldName(gitea);
});
