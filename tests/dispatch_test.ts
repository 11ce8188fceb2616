import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import {
  dispatches,
  ENV,
  type Json,
  posts,
  template,
  TOKEN,
  WORKFLOW,
} from "./support/dispatch.ts";
import { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
import addFormats from "npm:ajv-formats@3.0.1";

Deno.test("dispatch: one POST per template on its default branch with the default input; nothing committed", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  const slim = await fx.repo(
    "org/slim",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  const gpu = await fx.repo(
    "org/gpu",
    template({ ".github/workflows/publish-image.yml": WORKFLOW }),
    "trunk",
  );
  const before = [await fx.tip(slim), await fx.tip(gpu, "trunk")];
  const report = `${fx.root}/report.json`;
  const run = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/slim",
    "--repo",
    "org/gpu",
    "--json",
    report,
  ], ENV);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const base = "/api/v1/repos/org";
  assert.deepEqual(dispatches(gitea.api.requests), [
    [`${base}/gpu/actions/workflows/publish-image.yml/dispatches`, {
      ref: "trunk",
      inputs: { runtime_version: "0.1.8" },
    }],
    [`${base}/slim/actions/workflows/publish-image.yml/dispatches`, {
      ref: "main",
      inputs: { runtime_version: "0.1.8" },
    }],
  ]);
  // The version first, the runs list of each before its dispatch; the
  // token only as `token <t>`.
  const paths = gitea.api.requests.map((r) => `${r.method} ${r.path}`);
  assert.equal(paths[0], "GET /api/v1/version");
  for (const repo of ["slim", "gpu"]) {
    const list = paths.indexOf(`GET ${base}/${repo}/actions/tasks`);
    const post = paths.findIndex((p) => p.startsWith(`POST ${base}/${repo}/`));
    assert.ok(list > 0 && list < post, paths.join("\n"));
  }
  assert.ok(
    gitea.api.requests.every((r) => r.authorization === `token ${TOKEN}`),
  );
  // Nothing committed: the branches hold what they held.
  assert.deepEqual([await fx.tip(slim), await fx.tip(gpu, "trunk")], before);
  assert.equal(await fx.count(slim), 1);
  assert.equal(await fx.count(gpu, "trunk"), 1);
  assert.equal(gitea.api.tasks("org/slim")[0]?.event, "workflow_dispatch");
  assert.equal(gitea.api.tasks("org/gpu")[0]?.head_branch, "trunk");
  // The value its file holds (read for the prefix rule), not "(none)",
  // which says there is no file.
  assert.match(
    run.stdout,
    /^dispatched\s+org\/slim\s+main\s+0\.1\.7\s+dispatched publish-image\.yml on main with runtime_version=0\.1\.8$/m,
  );
  // Its block says it once.
  assert.equal(
    run.stderr.split("\n").filter((l) =>
      l.trim() ===
        "dispatched publish-image.yml on main with runtime_version=0.1.8"
    ).length,
    1,
    run.stderr,
  );
  assert.match(
    run.stdout,
    /cascade push 0\.1\.8: 0 updated, 0 unchanged, 0 skipped, 0 failed, 2 dispatched/,
  );
  const json = await readReport<Json>(report);
  const results = json["results"] as Json[];
  assert.deepEqual(results.map((r) => [r["repo"], r["status"], r["branch"]]), [
    ["org/slim", "dispatched", "main"],
    ["org/gpu", "dispatched", "trunk"],
  ]);
  assert.equal((json["summary"] as Json)["dispatched"], 2);
});

Deno.test("dispatch: a custom workflow, inputs and --branch on Forgejo 8", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "8.0.0+gitea-1.22.0",
  });
  const app = await fx.repo("org/app", template({}));
  await fx.commit(app, {
    branch: "release",
    files: { ".gitea/workflows/release.yml": WORKFLOW },
  });
  const tip = await fx.tip(app, "release");
  const run = await runCascade([
    "push",
    "2.0.0",
    "--trigger=dispatch",
    "--workflow",
    "release.yml",
    "--input",
    "runtime_version=v{version}",
    "--input",
    "channel=stable",
    "--branch",
    "release",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/app",
  ], ENV);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.deepEqual(dispatches(gitea.api.requests), [[
    "/api/v1/repos/org/app/actions/workflows/release.yml/dispatches",
    {
      ref: "release",
      inputs: { runtime_version: "v2.0.0", channel: "stable" },
    },
  ]]);
  // Forgejo 8 lists runs at /actions/tasks (Gitea's shape): read once,
  // before the dispatch, for a follower.
  assert.equal(
    gitea.api.requests.filter((r) => r.path.endsWith("/tasks")).length,
    1,
  );
  assert.equal(await fx.tip(app, "release"), tip);
  assert.deepEqual(await fx.branches(app), ["main", "release"]);
});

Deno.test("dispatch --probe: a template without the workflow or the input is skipped, not dispatched", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.25.4",
  });
  await fx.repo(
    "org/ok",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  await fx.repo("org/none", template({}));
  await fx.repo(
    "org/noinput",
    template({
      ".gitea/workflows/publish-image.yml":
        "on:\n  workflow_dispatch:\njobs: {}\n",
    }),
  );
  const report = `${fx.root}/report.json`;
  const run = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--probe",
    "Dockerfile",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/ok",
    "--repo",
    "org/none",
    "--repo",
    "org/noinput",
    "--json",
    report,
  ], ENV);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.deepEqual(posts(gitea.api.requests).map((r) => r.path), [
    "/api/v1/repos/org/ok/actions/workflows/publish-image.yml/dispatches",
  ]);
  const results = (await readReport<Json>(report))["results"] as Json[];
  assert.deepEqual(
    results.map((r) => [r["status"], r["skip"], r["previous"], r["reason"]]),
    [
      [
        "dispatched",
        undefined,
        "0.1.7",
        "dispatched publish-image.yml on main with runtime_version=0.1.8",
      ],
      [
        "skipped",
        "probe",
        "0.1.7",
        "no workflow publish-image.yml in .gitea/workflows or .github/workflows",
      ],
      [
        "skipped",
        "probe",
        "0.1.7",
        ".gitea/workflows/publish-image.yml does not declare the input runtime_version under workflow_dispatch",
      ],
    ],
  );
});

Deno.test("dispatch: 404, 403 and 422 fail their template alone, each on one line with what to do", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  const wired = template({ ".gitea/workflows/publish-image.yml": WORKFLOW });
  await fx.repo("org/missing", template({}));
  await fx.repo("org/denied", wired);
  await fx.repo("org/bad", wired);
  await fx.repo("org/fine", wired);
  gitea.api.refuseDispatch(
    "org/denied",
    403,
    "user should have write permission",
  );
  gitea.api.refuseDispatch("org/bad", 422, "Require input: channel");
  const report = `${fx.root}/report.json`;
  const run = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    ...["missing", "denied", "bad", "fine"].flatMap((
      n,
    ) => ["--repo", `org/${n}`]),
    "--json",
    report,
  ], ENV);
  assert.equal(run.code, 1, run.stderr + run.stdout);
  const results = (await readReport<Json>(report))["results"] as Json[];
  assert.deepEqual(
    results.map((r) => [r["status"], (r["error"] as Json | undefined)?.kind]),
    [
      ["failed", "not_found"],
      ["failed", "auth"],
      ["failed", "invalid"],
      ["dispatched", undefined],
    ],
  );
  const messages = results.slice(0, 3).map((r) =>
    (r["error"] as Json)["message"] as string
  );
  assert.match(
    messages[0] ?? "",
    /^org\/missing: dispatching publish-image\.yml on main: POST \/api\/v1\/repos\/org\/missing\/actions\/workflows\/publish-image\.yml\/dispatches on 127\.0\.0\.1:\d+ answered 404: "workflow not found"; the server has no workflow publish-image\.yml on main .*add \.gitea\/workflows\/publish-image\.yml/,
  );
  assert.match(
    messages[1] ?? "",
    /^org\/denied: .* answered 403: "user should have write permission"; the token may not run this repo's workflows/,
  );
  assert.match(
    messages[2] ?? "",
    /^org\/bad: .* answered 422: "Require input: channel"; the workflow has no workflow_dispatch trigger, or its inputs are wrong: check its on: workflow_dispatch and --input names/,
  );
  for (const message of messages) {
    assert.ok(!message.includes("\n"));
    assert.ok(run.stdout.includes(message), "printed as reported");
  }
  assert.match(run.stdout, /, 3 failed, 1 dispatched \(4 templates/);
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(
    JSON.parse(
      await Deno.readTextFile(
        new URL("../schema/push-report.schema.json", import.meta.url),
      ),
    ),
  );
  const json = await readReport<Json>(report);
  assert.ok(validate(json), JSON.stringify(validate.errors));
});

for (const version of ["1.22.6", "7.0.5+gitea-1.21.0"]) {
  Deno.test(`dispatch: a server at ${version} is refused up front, nothing sent to a dispatch endpoint`, async () => {
    await using fx = await Fixture.create();
    await using gitea = await startGitea({
      root: `${fx.root}/srv`,
      token: TOKEN,
      version,
    });
    await fx.repo(
      "org/app",
      template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
    );
    const run = await runCascade([
      "push",
      "0.1.8",
      "--trigger",
      "dispatch",
      "--base-url",
      gitea.origin,
      "--repo",
      "org/app",
    ], ENV);
    assert.equal(run.code, 2);
    const name = version.includes("+gitea-") ? "Forgejo" : "Gitea";
    assert.equal(
      run.stderr,
      `cascade: ${gitea.origin} runs ${name} ${version}, which has no workflow dispatch API: --trigger dispatch needs Gitea 1.24 or later, or Forgejo 8 or later (or use --trigger push)\nRun cascade --help for usage.\n`,
    );
    assert.deepEqual(
      gitea.api.requests.map((r) => `${r.method} ${r.path}`),
      ["GET /api/v1/version"],
    );
    assert.equal(gitea.git.requests.length, 0, "not even the preflight ran");
    assert.equal(run.stdout, "");
  });
}

Deno.test("dispatch --dry-run: everything but the POST, and it says would dispatch", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  await fx.repo(
    "org/app",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  const report = `${fx.root}/report.json`;
  const run = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--dry-run",
    "--probe",
    "Dockerfile",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/app",
    "--json",
    report,
  ], ENV);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.deepEqual(posts(gitea.api.requests), []);
  assert.deepEqual(gitea.api.tasks("org/app"), []);
  assert.match(
    run.stdout,
    /^would dispatch\s+org\/app\s+main\s+0\.1\.7\s+dry run: not dispatched$/m,
  );
  assert.match(run.stdout, /cascade dry run 0\.1\.8: .*1 would dispatch/);
  const json = await readReport<Json>(report);
  assert.equal(json["dryRun"], true);
  assert.equal((json["results"] as Json[])[0]?.["status"], "dispatched");
});

Deno.test("dispatch: credentials refused in the preflight stop every dispatch (exit 3)", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  const wired = template({ ".gitea/workflows/publish-image.yml": WORKFLOW });
  await fx.repo("org/good", wired);
  await fx.repo("org/bad", wired);
  const port = new URL(gitea.origin).port;
  const report = `${fx.root}/report.json`;
  const run = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/good",
    "--repo",
    `http://cascade:wrong-pw@127.0.0.1:${port}/org/bad.git`,
    "--json",
    report,
  ], ENV);
  assert.equal(run.code, 3, run.stderr + run.stdout);
  assert.deepEqual(posts(gitea.api.requests), []);
  const results = (await readReport<Json>(report))["results"] as Json[];
  assert.deepEqual(
    results.map((r) => [r["status"], r["skip"] ?? (r["error"] as Json)?.kind]),
    [["skipped", "aborted"], ["failed", "auth"]],
  );
  assert.doesNotMatch(run.stdout + run.stderr, /wrong-pw/);
});
