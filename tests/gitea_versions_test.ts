/**
 * What differs between server versions, each against the profile that
 * shows it (`support/gitea_profiles.ts`): topics `null`, a superseded run
 * left pending (up to 1.23.5) or cancelled (1.23.6+), renames by 307/301
 * (a POST re-sent, the rename carried), sign-in 401 before a redirect,
 * workflow folder precedence, archived/mirror 403s, Forgejo's 500 and a
 * disabled workflow on dispatch, and the hook's words by version. The
 * whole flow per profile is `gitea_matrix_test.ts`.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { boundedCascade } from "./support/bounded.ts";
import { type GiteaServer, startGitea } from "./support/gitea_api.ts";
import type { ProfileName } from "./support/gitea_profiles.ts";
import { template, WORKFLOW } from "./support/dispatch.ts";
import { FAST, until } from "./support/wait_fixtures.ts";
import { ForgeClient } from "../lib/forge/client.ts";
import {
  parseServerVersion,
  SupersededMemo,
} from "../lib/forge/server_version.ts";
import type { PushReport, PushResult } from "../lib/model.ts";

const TOKEN = "tok_versions_4a8e2b";
const ENV = { CASCADE_TOKEN: TOKEN };
const BUILD = "publish-image / build (push)";
const WIRED = {
  ".runtime-version": "0.1\n",
  Dockerfile: "COPY .runtime-version /\n",
};

async function serve(
  fx: Fixture,
  profile: ProfileName,
  more: { requireSignIn?: boolean } = {},
): Promise<GiteaServer> {
  return await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    profile,
    ...more,
  });
}

/**
 * Runs cascade with `args` and `--json`; the exit code and results. A run
 * that hangs is interrupted and fails the test (`support/bounded.ts`).
 */
async function run(
  fx: Fixture,
  gitea: GiteaServer,
  args: string[],
): Promise<{ code: number; out: string; results: PushResult[] }> {
  const json = `${fx.root}/r-${crypto.randomUUID()}.json`;
  const done = await boundedCascade(
    [...args, "--base-url", gitea.origin, "--json", json],
    ENV,
    { ciPolling: FAST },
  );
  const results = (await readReport<PushReport>(json)).results;
  return { code: done.code, out: done.stdout + done.stderr, results };
}

Deno.test("topics null (Gitea 1.23.0): a repo without topics is listed and has none", async () => {
  await using fx = await Fixture.create();
  await using gitea = await serve(fx, "gitea-1.23.0");
  await fx.repo("org/with", WIRED);
  await fx.repo("org/without", WIRED);
  gitea.api.setFlags("org/with", { topics: ["runtime"] });
  const raw = await fetch(`${gitea.origin}/api/v1/repos/org/without`, {
    headers: { Authorization: `token ${TOKEN}` },
  }).then((r) => r.json());
  assert.equal(raw.topics, null, "what Gitea 1.23.0–1.23.3 sends");
  const json = `${fx.root}/t.json`;
  const listed = await runCascade([
    "targets",
    "--base-url",
    gitea.origin,
    "--org",
    "org",
    "--topic",
    "runtime",
    "--json",
    json,
  ], ENV);
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  const report = await readReport<{
    targets: { repo: string }[];
    excluded: { repo: string; reason: string }[];
  }>(json);
  assert.deepEqual(report.targets.map((t) => t.repo), ["org/with"]);
  assert.deepEqual(report.excluded, [{
    repo: "org/without",
    reason: "has no --topic (runtime)",
  }]);
});

for (
  const [profile, state] of [
    ["gitea-1.23.0", "superseded"],
    ["gitea-1.23.6", "failure"],
  ] as const
) {
  Deno.test(`a run superseded by a newer push while queued on ${profile}: ${state}`, async () => {
    await using fx = await Fixture.create();
    await using gitea = await serve(fx, profile);
    const repo = await fx.repo("org/app", WIRED);
    // The job waits for a runner for ever: only a cancel can end it.
    await gitea.api.configureCi("org/app", {
      contexts: [BUILD],
      queueMs: 5,
      takeMs: 600_000,
    });
    const seed = await fx.tip(repo);
    const waiting = run(fx, gitea, [
      "push",
      "0.2",
      "--repo",
      "org/app",
      "--wait",
      "--wait-timeout",
      "20s",
    ]);
    let pushed = "";
    await until(async () => {
      pushed = await fx.tip(repo) ?? "";
      if (pushed === seed) return false;
      const combined = await fetch(
        `${gitea.origin}/api/v1/repos/org/app/commits/${pushed}/status`,
        { headers: { Authorization: `token ${TOKEN}` } },
      ).then((r) => r.json());
      return combined.state === "pending";
    }, "the pushed commit's job is queued");
    // Another publisher's newer push, without our version.
    await fx.commit(repo, {
      branch: "main",
      files: { ".runtime-version": "0.9\n" },
      message: "other\n",
    });
    gitea.api.onPush(repo);
    const done = await waiting;
    assert.equal(done.code, 1, done.out);
    const ci = done.results[0]?.ci;
    assert.equal(ci?.state, state, done.out);
    assert.match(
      ci?.note ?? "",
      state === "superseded"
        ? /stays pending: a newer push to main .* superseded it/
        : /cancelled by a newer push to main .* no longer holds the version/,
    );
    assert.equal(await fx.text(repo, pushed, ".runtime-version"), "0.2\n");
  });
}

Deno.test("a renamed repo on 1.24.0 (301): a POST is re-sent once, and the rename carried to later requests", async () => {
  await using fx = await Fixture.create();
  await using gitea = await serve(fx, "gitea-1.24.0");
  await fx.repo(
    "org/new",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  gitea.api.rename("org/old", "org/new");
  const client = new ForgeClient({
    apiBase: `${gitea.origin}/api/v1`,
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([gitea.origin]),
    timeoutMs: 5000,
  });
  const sent = await client.dispatchWorkflow(
    "org",
    "old",
    "publish-image.yml",
    "main",
  );
  assert.equal(
    sent.movedTo,
    `${gitea.origin}/api/v1/repos/org/new/actions/workflows/publish-image.yml/dispatches`,
  );
  await client.listActionTasks("org", "old");
  assert.deepEqual(
    gitea.api.requests.map((r) => `${r.method} ${r.path}`),
    [
      "POST /api/v1/repos/org/old/actions/workflows/publish-image.yml/dispatches",
      "POST /api/v1/repos/org/new/actions/workflows/publish-image.yml/dispatches",
      "GET /api/v1/repos/org/new/actions/tasks",
    ],
  );
  assert.equal(gitea.api.tasks("org/new").length, 1);
  // The CLI to the old name, with --wait: the rename the preflight's git
  // redirect showed is carried to the runs list, the dispatch and the
  // follow (no request to the old name), and the run is followed to its
  // end within the bounds.
  gitea.api.configureDispatch("org/new", { outcome: "success" });
  const before = gitea.api.requests.length;
  const done = await run(fx, gitea, [
    "push",
    "0.3",
    "--trigger",
    "dispatch",
    "--repo",
    "org/old",
    "--wait",
    "--timeout",
    "5",
    "--wait-timeout",
    "20s",
  ]);
  assert.equal(done.code, 0, done.out);
  assert.equal(done.results[0]?.status, "dispatched");
  assert.equal(done.results[0]?.movedTo, `${gitea.origin}/org/new.git`);
  assert.equal(done.results[0]?.ci?.state, "success", done.out);
  const sentByCli = gitea.api.requests.slice(before).map((r) =>
    `${r.method} ${r.path}`
  );
  assert.deepEqual(sentByCli.slice(0, 3), [
    "GET /api/v1/version",
    "GET /api/v1/repos/org/new/actions/tasks",
    "POST /api/v1/repos/org/new/actions/workflows/publish-image.yml/dispatches",
  ]);
  // Then the follow: the runs list at the new name, until the run ended.
  assert.ok(sentByCli.length > 3, sentByCli.join("\n"));
  assert.deepEqual(
    sentByCli.slice(3).filter((r) =>
      r !== "GET /api/v1/repos/org/new/actions/tasks"
    ),
    [],
  );
  assert.equal(gitea.api.tasks("org/new").length, 2);
});

Deno.test("sign-in required on 1.22.6: the redirect probe's 401 is retried with credentials, and the push lands at the new name", async () => {
  await using fx = await Fixture.create();
  await using gitea = await serve(fx, "gitea-1.22.6", { requireSignIn: true });
  const repo = await fx.repo("org/new", WIRED);
  gitea.api.rename("org/old", "org/new");
  const anonymous = await fetch(
    `${gitea.origin}/org/old.git/info/refs?service=git-upload-pack`,
    { redirect: "manual" },
  );
  await anonymous.body?.cancel();
  assert.equal(anonymous.status, 401, "401 before the redirect");
  const done = await run(fx, gitea, ["push", "0.2", "--repo", "org/old"]);
  assert.equal(done.code, 0, done.out);
  assert.equal(done.results[0]?.status, "updated");
  assert.equal(done.results[0]?.movedTo, `${gitea.origin}/org/new.git`);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
});

Deno.test("workflow folders: Gitea reads .gitea/workflows when it exists, even without the file", async () => {
  await using fx = await Fixture.create();
  await using gitea = await serve(fx, "gitea-1.24.0");
  await fx.repo("org/app", {
    ...template({ ".github/workflows/publish-image.yml": WORKFLOW }),
    ".gitea/workflows/other.yml": "on: push\n",
  });
  const done = await run(fx, gitea, [
    "push",
    "0.3",
    "--trigger",
    "dispatch",
    "--probe",
    "Dockerfile",
    "--repo",
    "org/app",
  ]);
  // The one template skipped: a run that did nothing exits 1 (issue 23).
  assert.equal(done.code, 1, done.out);
  assert.match(done.out, /nothing was dispatched/);
  assert.equal(done.results[0]?.status, "skipped");
  assert.equal(
    done.results[0]?.reason,
    "no workflow publish-image.yml in .gitea/workflows (the folder Gitea reads, since it exists)",
  );
  assert.ok(!gitea.api.requests.some((r) => r.method === "POST"));
});

for (
  const [flag, words] of [
    ["archived", "This repo is archived"],
    ["mirror", "mirror repository is read-only"],
  ] as const
) {
  Deno.test(`a push to a ${flag} repo (403 "${words}") is refused with its own advice, not a token problem`, async () => {
    await using fx = await Fixture.create();
    await using gitea = await serve(fx, "gitea-1.24.0");
    const repo = await fx.repo("org/app", WIRED);
    gitea.api.setFlags("org/app", { [flag]: true });
    const done = await run(fx, gitea, ["push", "0.2", "--repo", "org/app"]);
    assert.equal(done.code, 1, done.out);
    const error = done.results[0]?.error;
    assert.equal(error?.kind, "refused", done.out);
    assert.match(
      error?.message ?? "",
      /archived or a mirror and takes no push/,
    );
    assert.doesNotMatch(error?.message ?? "", /token in CASCADE_TOKEN/);
    assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.1\n");
  });
}

Deno.test("dispatch on Forgejo 8: a missing workflow's 500 is dispatch-refused with the server's words", async () => {
  await using fx = await Fixture.create();
  await using gitea = await serve(fx, "forgejo-8.0");
  await fx.repo("org/app", template({}));
  const done = await run(fx, gitea, [
    "push",
    "0.3",
    "--trigger",
    "dispatch",
    "--repo",
    "org/app",
  ]);
  assert.equal(done.code, 1, done.out);
  const error = done.results[0]?.error;
  assert.equal(error?.kind, "dispatch-refused");
  assert.match(
    error?.message ?? "",
    /answered 500: "workflow "publish-image\.yml" not found"; the server refused the dispatch/,
  );
  assert.doesNotMatch(error?.message ?? "", /network/);
});

Deno.test("dispatch of a disabled workflow (403): enable the workflow", async () => {
  await using fx = await Fixture.create();
  await using gitea = await serve(fx, "gitea-1.25.4");
  await fx.repo(
    "org/app",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  gitea.api.refuseDispatch("org/app", 403, "workflow is disabled");
  const done = await run(fx, gitea, [
    "push",
    "0.3",
    "--trigger",
    "dispatch",
    "--repo",
    "org/app",
  ]);
  assert.equal(done.code, 1, done.out);
  assert.match(
    done.results[0]?.error?.message ?? "",
    /"workflow is disabled"; the workflow publish-image\.yml is disabled: enable the workflow/,
  );
  assert.doesNotMatch(done.results[0]?.error?.message ?? "", /write access/);
});

for (
  const [profile, lines] of [
    [
      "gitea-1.22.6",
      "remote: Gitea: Not allowed to push to protected branch main",
    ],
    [
      "gitea-1.24.0",
      "remote: error: Not allowed to push to protected branch main",
    ],
  ] as const
) {
  Deno.test(`a protected branch on ${profile}: rejected with the hook's words, without bare error: lines`, async () => {
    await using fx = await Fixture.create();
    await using gitea = await serve(fx, profile);
    const repo = await fx.repo("org/app", WIRED);
    await gitea.api.protectBranch("org/app", "main");
    const hook = await Deno.readTextFile(`${repo}/hooks/pre-receive`);
    assert.ok(hook.includes(lines.replace("remote: ", "")), hook);
    const done = await run(fx, gitea, ["push", "0.2", "--repo", "org/app"]);
    assert.equal(done.code, 1, done.out);
    const error = done.results[0]?.error;
    assert.equal(error?.kind, "rejected");
    assert.match(
      error?.message ?? "",
      /Not allowed to push to protected branch main/,
    );
    assert.doesNotMatch(error?.message ?? "", /error: \/|\/ error:|: error:$/);
    assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.1\n");
  });
}

Deno.test("SupersededMemo: superseded runs stay pending on Gitea up to 1.23.5, Forgejo by its Gitea base", async () => {
  const table: [string, boolean][] = [
    ["1.22.6", true],
    ["1.23.0", true],
    ["1.23.5", true],
    ["1.23.6", false],
    ["1.24.0", false],
    ["1.25.4+dev-3-gabc", false],
    ["8.0.0+gitea-1.22.0", true],
    ["11.0.1+gitea-1.24.0", false],
  ];
  for (const [text, keeps] of table) {
    assert.ok(parseServerVersion(text), text);
    // What a follow asks of a server whose GET /version says `text`.
    const memo = new SupersededMemo((task) => task());
    const server = {
      version: () => Promise.resolve({ value: { version: text } }),
      within: () => server,
    };
    assert.equal(
      await memo.ask("https://git.test/api/v1", server),
      keeps,
      text,
    );
  }
});
