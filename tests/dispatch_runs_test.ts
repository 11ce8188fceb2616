import assert from "node:assert/strict";
import { ForgeClient } from "../lib/forge/client.ts";
import {
  dispatchRunsBefore,
  type DispatchRunScope,
  type TaskLister,
} from "../lib/forge/dispatch_runs.ts";
import {
  canDispatch,
  hasTasksList,
  parseServerVersion,
} from "../lib/forge/server_version.ts";
import type { ActionTask } from "../lib/forge/types.ts";
import { findDispatchedRun } from "./support/dispatch.ts";
import { Fixture } from "./support/fixtures.ts";
import { parseCommand } from "./support/parse_command.ts";
import {
  DISPATCH,
  type DispatchModeSettings,
} from "../lib/modes/dispatch/dispatch.ts";
import { TRIGGERS } from "../lib/modes/triggers.ts";
import { readSettings } from "../lib/commands/settings.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import { parseTarget } from "../lib/targets/target.ts";
import { basicCredentials } from "../lib/console/redact.ts";
import {
  BASE_GIT_CONFIG,
  createGitRunner,
  hermeticEnv,
} from "../lib/git/runner.ts";
import { startGitea } from "./support/gitea_api.ts";

const TOKEN = "tok_runs_77c2";

/** The ids of the dispatch runs listed before a dispatch. */
async function dispatchRunIds(
  client: TaskLister,
  owner: string,
  repo: string,
  scope: DispatchRunScope,
): Promise<Set<number>> {
  return (await dispatchRunsBefore(client, owner, repo, scope)).ids;
}

const WORKFLOW = "on:\n  workflow_dispatch:\n";

Deno.test("dispatchedJobs() finds the run each dispatch started on the stand-in (1.24)", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  const app = await fx.repo("org/app", {
    ".gitea/workflows/publish-image.yml": WORKFLOW,
    ".gitea/workflows/other.yml": WORKFLOW,
  });
  await fx.commit(app, {
    branch: "next",
    files: { ".gitea/workflows/publish-image.yml": WORKFLOW },
  });
  await gitea.api.configureCi("org/app", {
    contexts: ["publish-image / build (push)"],
    workflowFile: "publish-image.yml",
    queueMs: 1,
    runMs: 1,
  });
  const client = new ForgeClient({
    apiBase: `${gitea.origin}/api/v1`,
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([gitea.origin]),
    timeoutMs: 3000,
  });
  const scope = { workflow: "publish-image.yml", branch: "main" };
  // Noise: a push run of the same workflow, dispatches of another
  // workflow and on another branch.
  await fx.commit(app, { branch: "main", files: { "y": "1\n" } });
  gitea.api.onPush(app);
  await client.dispatchWorkflow("org", "app", "other.yml", "main");
  await client.dispatchWorkflow("org", "app", "publish-image.yml", "next");
  const before = await dispatchRunIds(client, "org", "app", scope);
  assert.deepEqual(before, new Set());
  assert.equal(
    await findDispatchedRun(client, "org", "app", { ...scope, before }),
    null,
    "nothing dispatched yet",
  );
  await client.dispatchWorkflow("org", "app", "publish-image.yml", "main");
  const first = await findDispatchedRun(client, "org", "app", {
    ...scope,
    before,
  });
  assert.equal(first?.event, "workflow_dispatch");
  assert.equal(first?.head_branch, "main");
  assert.equal(first?.workflow_id, "publish-image.yml");
  const again = await dispatchRunIds(client, "org", "app", scope);
  assert.deepEqual(again, new Set([first?.id]));
  await client.dispatchWorkflow("org", "app", "publish-image.yml", "main");
  const second = await findDispatchedRun(client, "org", "app", {
    ...scope,
    before: again,
  });
  assert.ok(second !== null && first !== null && second.id > first.id);
  const listed = gitea.api.requests.filter((r) => r.path.endsWith("/tasks"));
  assert.ok(listed.every((r) => r.authorization === `token ${TOKEN}`));
});

Deno.test("dispatchedJobs() goes by ids, not times: two runs in one second", async () => {
  const task = (id: number, at: string): ActionTask => ({
    id,
    name: "publish-image",
    head_branch: "refs/heads/main",
    head_sha: "a".repeat(40),
    run_number: id,
    event: "workflow_dispatch",
    status: "waiting",
    workflow_id: "publish-image.yml",
    url: "",
    ...{ created_at: at },
  });
  const same = "2026-01-01T00:00:01Z";
  let runs = [task(7, same)];
  const lister: TaskLister = {
    listActionTasks: () =>
      Promise.resolve({
        value: { total_count: runs.length, workflow_runs: runs },
        movedTo: null,
      }),
  };
  const scope = { workflow: "publish-image.yml", branch: "main" };
  const before = await dispatchRunIds(lister, "o", "r", scope);
  runs = [task(9, same), task(8, same), ...runs];
  const found = await findDispatchedRun(lister, "o", "r", {
    ...scope,
    before,
  });
  assert.equal(found?.id, 9, "the newest that was not there before");
});

Deno.test("parseServerVersion() and canDispatch(): Gitea 1.24+, Forgejo 8+", () => {
  const table: [string, string | null, boolean, boolean][] = [
    ["1.22.6", "Gitea", false, false],
    ["1.23.1", "Gitea", false, true],
    ["1.24.0", "Gitea", true, true],
    ["1.25.0+dev-12-gabcdef", "Gitea", true, true],
    ["1.24.0-rc1", "Gitea", true, true],
    ["2.0.0", "Gitea", true, true],
    ["7.0.5+gitea-1.21.0", "Forgejo", false, false],
    ["8.0.0+gitea-1.22.0", "Forgejo", true, true],
    ["11.0.1+gitea-1.22.0", "Forgejo", true, true],
    ["dev", null, false, false],
    ["1.24.0\u001b[31m", null, false, false],
    ["9".repeat(100), null, false, false],
  ];
  for (const [text, name, dispatch, tasks] of table) {
    const v = parseServerVersion(text);
    assert.equal(v?.name ?? null, name, text);
    assert.equal(v !== null && canDispatch(v), dispatch, text);
    assert.equal(v !== null && hasTasksList(v), tasks, text);
  }
});

Deno.test("DISPATCH marks each dispatched template so that findDispatchedRun finds its new run", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  await fx.repo("org/app", {
    ".gitea/workflows/publish-image.yml": WORKFLOW,
  });
  const command = parseCommand([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--repo",
    `${gitea.origin}/org/app.git`,
  ]);
  assert.ok(command.command === "push");
  const target = parseTarget(`${gitea.origin}/org/app.git`, undefined, "/");
  const token = { value: TOKEN, source: "CASCADE_TOKEN" };
  // A dispatch before the run: the run's mark must not take it for its own.
  const earlier = new ForgeClient({
    apiBase: `${gitea.origin}/api/v1`,
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([gitea.origin]),
    timeoutMs: 3000,
  });
  await earlier.dispatchWorkflow("org", "app", "publish-image.yml", "main");
  const workDir = `${fx.root}/work`;
  await Deno.mkdir(`${workDir}/home`, { recursive: true });
  const access = ForgeAccess.fromToken(token, {
    allowInsecureHttp: false,
    timeout: 120,
  }, () => undefined);
  // The token goes to the one origin the targets share.
  assert.deepEqual([...access.bind([target])], [gitea.origin]);
  const run = await DISPATCH.run(
    [{
      target,
      gitConfig: [
        ...BASE_GIT_CONFIG,
        [
          `http.${target.origin}/.extraHeader`,
          `Authorization: Basic ${basicCredentials("cascade", TOKEN)}`,
        ],
      ],
      httpRefs: null,
    }],
    // The settings the trigger table binds for --trigger dispatch.
    TRIGGERS.dispatch.bind(command.options, readSettings(command.options))
      .read as DispatchModeSettings,
    {
      git: createGitRunner(hermeticEnv(`${workDir}/home`)),
      workDir,
      signal: new AbortController().signal,
      backoff: { baseMs: 1, maxMs: 1, random: () => 0 },
      access,
    },
  );
  const mark = run.marks.get(target.key);
  assert.ok(mark !== undefined && mark.before !== null);
  const [newest, older] = gitea.api.tasks("org/app");
  assert.deepEqual(mark.before, new Set([older?.id]));
  const found = await findDispatchedRun(mark.client, mark.owner, mark.repo, {
    workflow: mark.workflow,
    branch: mark.branch,
    before: mark.before,
  });
  assert.equal(found?.id, newest?.id);
  assert.notEqual(found?.id, older?.id);
});
