/**
 * The whole flow on every server profile (`support/gitea_profiles.ts`), as
 * one table: `push --wait` green and red, `status --ci` (with more than 50
 * contexts on a commit), discovery (`--org` with more than 50 repos, a
 * hidden page in the middle, `Link` built from another ROOT_URL),
 * `targets --check` (with a renamed repo), and `dispatch --wait` where the
 * profile has it (workflow folders by forge). One stand-in and one set of
 * repos per profile; CI runs in milliseconds and is polled fast.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import {
  PROFILE_NAMES,
  type ProfileName,
  PROFILES,
} from "./support/gitea_profiles.ts";
import { template, WORKFLOW } from "./support/dispatch.ts";
import { FAST } from "./support/wait_fixtures.ts";
import type { PushReport, StatusReport } from "../lib/model.ts";

const TOKEN = "tok_matrix_7c2f1d";
const ENV = { CASCADE_TOKEN: TOKEN };
const BUILD = "publish-image / build (push)";
/** A workflow without `workflow_dispatch` (a folder the server must skip). */
const PUSH_ONLY = "on: push\njobs: {}\n";
/** Where ROOT_URL says the server is (not where cascade reaches it). */
const ROOT_URL = "http://gitea.internal:3000";

/** What each profile does in the flow; the facts are in the profile. */
const MATRIX: { profile: ProfileName; dispatchWait: boolean }[] = PROFILE_NAMES
  .map((profile) => ({ profile, dispatchWait: PROFILES[profile].dispatch }));

/** The template's workflow files: dispatchable in the forge's folder. */
function workflows(profile: ProfileName): Record<string, string> {
  return PROFILES[profile].forge === "Forgejo"
    ? {
      ".forgejo/workflows/publish-image.yml": WORKFLOW,
      ".gitea/workflows/publish-image.yml": PUSH_ONLY,
    }
    : {
      ".gitea/workflows/publish-image.yml": WORKFLOW,
      ".github/workflows/publish-image.yml": PUSH_ONLY,
    };
}

/** Copies a bare repo's files (a repo without a git process). */
async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = `${from}/${entry.name}`;
    if (entry.isDirectory) await copyDir(source, `${to}/${entry.name}`);
    else await Deno.copyFile(source, `${to}/${entry.name}`);
  }
}

/** 119 listed-only repos `big/r-000…` (a tip, no objects), then a real one. */
async function bigOrg(srv: string, real: string): Promise<void> {
  const sha = "1".repeat(40);
  await Promise.all(Array.from({ length: 119 }, async (_, i) => {
    const dir = `${srv}/big/r-${String(i).padStart(3, "0")}.git`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/HEAD`, "ref: refs/heads/main\n");
    await Deno.writeTextFile(`${dir}/packed-refs`, `${sha} refs/heads/main\n`);
  }));
  await copyDir(real, `${srv}/big/r-119.git`);
}

Deno.test("matrix: push --wait, status --ci, --org, targets --check and dispatch --wait on every profile", async () => {
  // The rows run at once (each on its own stand-in); a failure names its row.
  const failed = (await Promise.allSettled(MATRIX.map(flow))).flatMap((r, i) =>
    r.status === "rejected"
      ? [`${MATRIX[i]?.profile}: ${(r.reason as Error)?.stack ?? r.reason}`]
      : []
  );
  assert.deepEqual(failed, []);
});

/** One profile's flow. */
async function flow(row: (typeof MATRIX)[number]): Promise<void> {
  {
    const profile = PROFILES[row.profile];
    await using fx = await Fixture.create();
    const srv = `${fx.root}/srv`;
    await using gitea = await startGitea({
      root: srv,
      token: TOKEN,
      profile: row.profile,
      rootUrl: ROOT_URL,
    });
    const app = await fx.repo("org/app", template(workflows(row.profile)));
    for (const name of ["red", "many"]) {
      await copyDir(app, `${srv}/org/${name}.git`);
    }
    await gitea.api.configureCi("org/app", { contexts: [BUILD] });
    await gitea.api.configureCi("org/red", {
      contexts: [BUILD],
      outcome: "failure",
    });
    const seed = await fx.tip(app) ?? "";
    // 60 contexts on one commit: the failing one is the oldest (page 2).
    gitea.api.postStatus("org/many", seed, {
      status: "failure",
      context: "ci / old (push)",
      description: "Failing after 1s",
      target_url: "/org/many/actions/runs/1/jobs/0",
    });
    for (let i = 0; i < 59; i++) {
      gitea.api.postStatus("org/many", seed, {
        status: "success",
        context: `ci / job-${String(i).padStart(2, "0")} (push)`,
        description: "Successful in 1s",
        target_url: "/org/many/actions/runs/2/jobs/0",
      });
    }
    const base = ["--base-url", gitea.origin];

    // push --wait: green and red in one run.
    const pushJson = `${fx.root}/push.json`;
    const push = await runCascade(
      [
        "push",
        "0.2",
        ...base,
        "--repo",
        "org/app",
        "--repo",
        "org/red",
        "--wait",
        "--wait-timeout", // a stuck wait fails here, not after 30 min
        "60s",
        "--json",
        pushJson,
      ],
      ENV,
      { ciPolling: FAST },
    );
    assert.equal(push.code, 1, push.stdout + push.stderr);
    const pushed = (await readReport<PushReport>(pushJson)).results;
    assert.deepEqual(pushed.map((r) => [r.status, r.ci?.state]), [
      ["updated", "success"],
      ["updated", "failure"],
    ]);
    assert.equal(await fx.text(app, "main", ".runtime-version"), "0.2\n");
    const redRepo = `${srv}/org/red.git`;
    assert.equal(await fx.text(redRepo, "main", ".runtime-version"), "0.2\n");
    // Gitea sends the run's link as a path: resolved against the API's
    // origin, the raw value kept.
    const raw = "/org/red/actions/runs/1/jobs/0";
    assert.equal(pushed[1]?.ci?.url, `${gitea.origin}${raw}`);
    assert.equal(pushed[1]?.ci?.rawUrl, raw);
    assert.ok(push.stdout.includes(`${gitea.origin}${raw}`), push.stdout);

    // status --ci: the tips' CI, and every page of a 60-context commit.
    const statusJson = `${fx.root}/status.json`;
    const status = await runCascade([
      "status",
      "0.2",
      ...base,
      "--ci",
      ...["org/app", "org/red", "org/many"].flatMap((r) => ["--repo", r]),
      "--json",
      statusJson,
    ], ENV);
    assert.equal(status.code, 1, status.stdout + status.stderr);
    const read = (await readReport<StatusReport>(statusJson)).results;
    assert.deepEqual(read.map((r) => r.ci?.state), [
      "success",
      "failure",
      "failure",
    ]);
    assert.equal(
      read[2]?.ci?.url,
      `${gitea.origin}/org/many/actions/runs/1/jobs/0`,
    );
    const manyPages = gitea.api.requests.filter((r) =>
      r.path.startsWith("/api/v1/repos/org/many/commits/")
    ).map((r) => r.query);
    assert.deepEqual(manyPages, ["limit=50", "limit=50&page=2"]);

    // --org with 120 repos, page 2 hidden (empty), Link from ROOT_URL.
    await bigOrg(srv, app);
    for (let i = 50; i < 100; i++) {
      gitea.api.hide(`big/r-${String(i).padStart(3, "0")}`);
    }
    const before = gitea.api.requests.length;
    const targetsJson = `${fx.root}/targets.json`;
    const targets = await runCascade([
      "targets",
      ...base,
      "--org",
      "big",
      "--match",
      "r-119",
      "--json",
      targetsJson,
    ], ENV);
    assert.equal(targets.code, 0, targets.stdout + targets.stderr);
    const found = await readReport<{
      targets: { repo: string }[];
      excluded: { repo: string }[];
    }>(targetsJson);
    assert.deepEqual(found.targets.map((t) => t.repo), ["big/r-119"]);
    assert.equal(found.excluded.length, 69);
    assert.deepEqual(
      gitea.api.requests.slice(before).filter((r) =>
        r.path === "/api/v1/orgs/big/repos"
      ).map((r) => r.query),
      ["limit=50", "limit=50&page=2", "limit=50&page=3"],
    );

    // targets --check: the file names a renamed repo (307, or 301 from 1.24).
    gitea.api.rename("org/old-app", "org/app");
    const list = await fx.write("list.txt", "org/old-app\norg/red\norg/many\n");
    const check = await runCascade([
      "targets",
      ...base,
      "--org",
      "org",
      "--probe",
      "Dockerfile",
      "--check",
      list,
    ], ENV);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.deepEqual(
      check.stdout.split("\n").filter((l) => /^(add|remove|replace) /.test(l)),
      [`replace org/old-app with org/app in ${list}: the repository was renamed`],
    );

    // dispatch --wait (--probe reads the forge's own workflow folder).
    gitea.api.configureDispatch("org/app", {});
    const dispatchJson = `${fx.root}/dispatch.json`;
    const dispatch = await runCascade(
      [
        "push",
        "0.3",
        ...base,
        "--trigger",
        "dispatch",
        "--workflow",
        "publish-image.yml",
        "--input",
        "runtime_version={version}",
        "--probe",
        "Dockerfile",
        "--repo",
        "org/app",
        "--wait",
        "--wait-timeout", // a stuck wait fails here, not after 30 min
        "60s",
        "--json",
        dispatchJson,
      ],
      ENV,
      { ciPolling: FAST },
    );
    if (!row.dispatchWait) {
      assert.equal(dispatch.code, 2, dispatch.stdout + dispatch.stderr);
      assert.match(dispatch.stderr, /has no workflow dispatch API/);
      assert.ok(!gitea.api.requests.some((r) => r.method === "POST"));
      return;
    }
    assert.equal(dispatch.code, 0, dispatch.stdout + dispatch.stderr);
    const sent = (await readReport<PushReport>(dispatchJson)).results[0];
    assert.equal(sent?.status, "dispatched");
    assert.equal(sent?.ci?.state, "success");
    assert.equal(
      gitea.api.tasks("org/app").filter((t) => t.event === "workflow_dispatch")
        .length,
      1,
    );
    assert.equal(profile.tasks, true);
  }
}
