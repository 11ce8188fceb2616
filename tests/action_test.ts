import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Fixture } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import { startGitea } from "./support/gitea_api.ts";
import {
  type ActionRun,
  readActionFile,
  runCompositeAction,
} from "./support/composite_action.ts";
import type { PushReport } from "../lib/model.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const TOKEN = "tok_action_5e1d8c0b9a7f";
const NPX_DENO = "npx --yes deno@2.9.6";
const INPUTS = [
  "version",
  "token",
  "base-url",
  "repos",
  "repos-file",
  "config",
  "probe",
  "wait",
  "dry-run",
  "via",
  "args",
  "json",
];
const OUTPUTS = [
  "updated",
  "unchanged",
  "skipped",
  "failed",
  "failed-count",
  "ci-failed",
  "proposed",
  "merged",
  "pull-requests",
  "report",
];

/** The job environment of a test run: hermetic, in the fixture. */
async function jobEnv(fx: Fixture): Promise<Record<string, string>> {
  await Deno.mkdir(`${fx.root}/ws`, { recursive: true });
  await Deno.mkdir(`${fx.root}/runner`, { recursive: true });
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${fx.root}/home`,
    TMPDIR: fx.root,
    LC_ALL: "C",
    NO_COLOR: "1",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
  };
}

/** Runs the repo's action.yml with cascade on the Deno running the tests. */
async function runAction(
  fx: Fixture,
  inputs: Record<string, string>,
  options: { serverUrl?: string; deno?: string; env?: Record<string, string> } =
    {},
): Promise<ActionRun> {
  return await runCompositeAction({
    actionDir: ROOT,
    inputs,
    workspace: `${fx.root}/ws`,
    runnerTemp: `${fx.root}/runner`,
    env: { ...await jobEnv(fx), ...options.env },
    ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
    replace: { from: NPX_DENO, to: options.deno ?? Deno.execPath() },
  });
}

/** Asserts no form of `secret` is in any script file the run wrote. */
async function assertScriptsClean(run: ActionRun, secret: string) {
  assert.ok(run.scripts.length > 0);
  for (const file of run.scripts) {
    const text = await Deno.readTextFile(file);
    for (const form of [secret, btoa(secret)]) {
      assert.ok(!text.includes(form), `${file} holds the token`);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("action.yml pins deno@2.9.6 like .ci/run, runs bash only, takes every input through env", async () => {
  const action = await readActionFile(`${ROOT}/action.yml`);
  const ci = await Deno.readTextFile(`${ROOT}/.ci/run`);
  const pinned = /^DENO_VERSION=(\S+)$/m.exec(ci)?.[1];
  assert.equal(pinned, "2.9.6");
  assert.equal(NPX_DENO, `npx --yes deno@${pinned}`);

  assert.deepEqual(Object.keys(action.inputs), INPUTS);
  assert.deepEqual(
    INPUTS.filter((name) => action.inputs[name]?.required === true),
    ["version", "token"],
  );
  assert.deepEqual(Object.keys(action.outputs), OUTPUTS);
  for (const name of OUTPUTS) {
    assert.equal(
      action.outputs[name]?.value,
      `\${{ steps.cascade.outputs.${name} }}`,
    );
  }
  assert.equal(action.runs.using, "composite");
  const steps = action.runs.steps;
  assert.ok(steps.every((s) => s.shell === "bash" && s.uses === undefined));
  const run = steps.map((s) => s.run ?? "").join("\n");
  assert.ok(!run.includes("${{"), "no expression is inlined into a script");
  assert.equal(
    [...run.matchAll(/npx --yes deno@([^\s]+) run /g)].map((m) => m[1])
      .join(),
    pinned,
    "one deno run, pinned",
  );
  assert.match(
    run,
    / run --no-config --allow-run=git --allow-read --allow-write --allow-env --allow-net \\\n\s+"\$CASCADE_ACTION_DIR\/cascade\.ts" "\$\{args\[@\]\}"\n/,
  );
  const env = steps[0]?.env ?? {};
  assert.equal(env["CASCADE_TOKEN"], "${{ inputs.token }}");
  assert.equal(env["CASCADE_ACTION_DIR"], "${{ github.action_path }}");
  for (const name of INPUTS.filter((n) => n !== "token")) {
    const variable = `INPUT_${name.toUpperCase().replaceAll("-", "_")}`;
    assert.equal(env[variable], `\${{ inputs.${name} }}`, variable);
  }
});

Deno.test("action: inputs become one argument list, lists split on whitespace, $(…) and backticks stay data", async () => {
  await using fx = await Fixture.create();
  const marker = `${fx.root}/pwned`;
  const recorder = await fx.write(
    "record-deno",
    `#!/bin/sh\nprintf '%s\\0' "$@" > "${fx.root}/argv"\nprintf '%s' "$CASCADE_TOKEN" > "${fx.root}/token"\nprintf '%s' "\${GITEA_URL-unset}" > "${fx.root}/gitea-url"\n`,
  );
  await Deno.chmod(recorder, 0o755);
  const hostile = `$(touch ${marker}-1)\`touch ${marker}-2\``;
  const run = await runAction(fx, {
    version: hostile,
    token: `${TOKEN}$(touch ${marker}-3)`,
    "base-url": "https://git.example.com/$(touch${IFS}" + marker + "-4)",
    repos: "org/a\n  org/b $(touch${IFS}" + marker + "-5)\n\n",
    "repos-file": "list *.txt",
    config: "`touch " + marker + "-6`",
    probe: "Dockerfile * ci/build.sh",
    wait: "true",
    "dry-run": "false",
    args: "--no-downgrade  --message=$(id)`id`\n--concurrency 2 *",
    json: "out/report.json",
  }, { deno: recorder });
  assert.equal(run.code, 0, run.stderr);
  const argv = (await Deno.readTextFile(`${fx.root}/argv`)).split("\0");
  assert.equal(argv.pop(), "");
  const report = `${fx.root}/ws/out/report.json`;
  assert.deepEqual(argv, [
    "run",
    "--no-config",
    "--allow-run=git",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    `${ROOT}/cascade.ts`,
    "push",
    hostile,
    "--base-url",
    "https://git.example.com/$(touch${IFS}" + marker + "-4)",
    "--repo",
    "org/a",
    "--repo",
    "org/b",
    "--repo",
    "$(touch${IFS}" + marker + "-5)",
    "--probe",
    "Dockerfile",
    "--probe",
    "*",
    "--probe",
    "ci/build.sh",
    "--repos-file",
    "list *.txt",
    "--config",
    "`touch " + marker + "-6`",
    "--wait",
    "--json",
    report,
    "--no-downgrade",
    "--message=$(id)`id`",
    "--concurrency",
    "2",
    "*",
  ]);
  assert.equal(
    await Deno.readTextFile(`${fx.root}/token`),
    `${TOKEN}$(touch ${marker}-3)`,
    "the token reaches cascade as CASCADE_TOKEN, literally",
  );
  for (const n of [1, 2, 3, 4, 5, 6]) {
    assert.ok(!await exists(`${marker}-${n}`), `input ran a command (${n})`);
  }
  assert.equal(run.outputs["report"], report);
  await assertScriptsClean(run, TOKEN);

  const giteaUrl = () => Deno.readTextFile(`${fx.root}/gitea-url`);
  assert.equal(await giteaUrl(), "unset", "the base-url input wins");

  // Unset optional inputs add nothing; the server defaults to the runner's,
  // as GITEA_URL, which ranks below a config's baseUrl.
  const plain = await runAction(fx, { version: "1.0", token: TOKEN }, {
    deno: recorder,
    serverUrl: "https://gitea.example.com",
  });
  assert.equal(plain.code, 0, plain.stderr);
  const defaults = (await Deno.readTextFile(`${fx.root}/argv`)).split("\0");
  assert.deepEqual(defaults.slice(8, -1), [
    "push",
    "1.0",
    "--json",
    `${fx.root}/runner/cascade-report.json`,
  ]);
  assert.equal(await giteaUrl(), "https://gitea.example.com");

  // A job that sets GITEA_URL: cascade reads it itself.
  const gitea = await runAction(fx, { version: "1.0", token: TOKEN }, {
    deno: recorder,
    env: { GITEA_URL: "https://git.example.com" },
  });
  assert.equal(gitea.code, 0, gitea.stderr);
  const own = (await Deno.readTextFile(`${fx.root}/argv`)).split("\0");
  assert.deepEqual(own.slice(8, 10), ["push", "1.0"]);
  assert.ok(!own.includes("--base-url"));
  assert.equal(await giteaUrl(), "https://git.example.com");

  // A boolean input that is neither true nor false is refused.
  const bad = await runAction(fx, { version: "1", token: TOKEN, wait: "yes" }, {
    deno: recorder,
  });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stdout,
    /^::error title=cascade action::input wait must be true or false$/m,
  );
});

Deno.test("action: via becomes --via, passed only when set, its value data", async () => {
  await using fx = await Fixture.create();
  const recorder = await fx.write(
    "record-deno",
    `#!/bin/sh\nprintf '%s\\0' "$@" > "${fx.root}/argv"\n`,
  );
  await Deno.chmod(recorder, 0o755);
  const argv = async (via: string) => {
    const run = await runAction(fx, { version: "1.0", token: TOKEN, via }, {
      deno: recorder,
      serverUrl: "https://gitea.example.com",
    });
    assert.equal(run.code, 0, run.stderr);
    return (await Deno.readTextFile(`${fx.root}/argv`)).split("\0").slice(
      8,
      -1,
    );
  };
  const report = `${fx.root}/runner/cascade-report.json`;
  assert.deepEqual(await argv("pr"), [
    "push",
    "1.0",
    "--via",
    "pr",
    "--json",
    report,
  ]);
  assert.ok(!(await argv("")).includes("--via"));
  assert.deepEqual((await argv("$(id) auto")).slice(2, 4), [
    "--via",
    "$(id) auto",
  ]);
});

Deno.test("action: lands the version over HTTP, sets its outputs, and fails the step on a failure", async () => {
  await using fx = await Fixture.create();
  const wired = { Dockerfile: "COPY .runtime-version /\n" };
  const a = await fx.repo("org/a", { ...wired, ".runtime-version": "0.1.7\n" });
  const b = await fx.repo("org/b", { ...wired, ".runtime-version": "0.1.8\n" });
  const legacy = await fx.repo("org/legacy", { Dockerfile: "FROM x\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await Deno.mkdir(`${fx.root}/ws`, { recursive: true });
  await Deno.writeTextFile(`${fx.root}/ws/templates.txt`, "org/legacy\n");
  const inputs = {
    version: "0.1.8",
    token: TOKEN,
    "base-url": server.origin,
    repos: "org/a\n  org/b\n",
    "repos-file": "templates.txt",
    probe: "Containerfile Dockerfile",
  };
  const run = await runAction(fx, inputs);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(
    await fx.file(a, "main", ".runtime-version"),
    new TextEncoder().encode("0.1.8\n"),
  );
  assert.equal(await fx.count(a), 2);
  assert.equal(await fx.count(b), 1);
  assert.equal(await fx.count(legacy), 1);
  assert.deepEqual(run.outputs, {
    updated: "org/a",
    unchanged: "org/b",
    skipped: "org/legacy",
    failed: "",
    "failed-count": "0",
    "ci-failed": "", // written only with wait
    proposed: "",
    merged: "",
    "pull-requests": "", // written only with pull requests
    report: `${fx.root}/runner/cascade-report.json`,
  });
  const report = JSON.parse(
    await Deno.readTextFile(run.outputs["report"]!),
  ) as PushReport;
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    ["org/a", "updated"],
    ["org/b", "unchanged"],
    ["org/legacy", "skipped"],
  ]);
  assert.match(
    run.summary,
    /\| org\/a \| main \| 0\.1\.7 → 0\.1\.8 \| updated \|/,
  );
  assert.match(run.stdout, /^::warning title=cascade%3A org\/legacy::/m);
  await assertScriptsClean(run, TOKEN);
  assert.ok(!(run.stdout + run.stderr).includes(TOKEN));

  // A template that fails: the step fails, the outputs still say which.
  const failing = await runAction(fx, {
    ...inputs,
    repos: "org/a org/missing",
    json: "failed.json",
  });
  assert.equal(failing.code, 1);
  assert.equal(failing.outputs["failed"], "org/missing");
  assert.equal(failing.outputs["failed-count"], "1");
  assert.equal(failing.outputs["unchanged"], "org/a");
  assert.equal(failing.outputs["report"], `${fx.root}/ws/failed.json`);
  assert.ok(await exists(`${fx.root}/ws/failed.json`));
  assert.equal(await fx.count(a), 2);
});

Deno.test("action: a message holding $(…) and backticks lands as text; a version holding them is refused", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("org/a", { ".runtime-version": "1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const message = "$(touch${IFS}pwned-1)`touch${IFS}pwned-2`{version}";
  const run = await runAction(fx, {
    version: "2",
    token: TOKEN,
    repos: "org/a",
    args: `--message=${message}`,
  }, { serverUrl: server.origin });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const commit = await fx.show(a, "main");
  assert.equal(commit.message, "$(touch${IFS}pwned-1)`touch${IFS}pwned-2`2\n");
  assert.equal(await fx.text(a, "main", ".runtime-version"), "2\n");

  const marker = `/tmp/pwned-${crypto.randomUUID()}`;
  const version = `$(touch ${marker})\`touch ${marker}-2\``;
  const refused = await runAction(
    fx,
    { version, token: TOKEN, repos: "org/a" },
    {
      serverUrl: server.origin,
    },
  );
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /cascade: .*version/);
  assert.equal(await fx.count(a), 2);
  for (
    const file of [
      marker,
      `${marker}-2`,
      `${fx.root}/ws/pwned-1`,
      `${fx.root}/ws/pwned-2`,
    ]
  ) {
    assert.ok(!await exists(file), `${file} was created`);
  }
  await assertScriptsClean(refused, TOKEN);
});

Deno.test("action: wait: true follows the CI; a red one fails the step, with its run in ::error, the summary and ci-failed", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("org/a", { ".runtime-version": "0.1.7\n" });
  await fx.repo("org/b", { ".runtime-version": "0.1.7\n" });
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const build = "publish-image / build (push)";
  await gitea.api.configureCi("org/a", {
    contexts: [build],
    outcome: "failure",
  });
  await gitea.api.configureCi("org/b", { contexts: [build] });
  await Deno.mkdir(`${fx.root}/ws`, { recursive: true });
  const run = await runAction(fx, {
    version: "0.1.8",
    token: TOKEN,
    "base-url": gitea.origin,
    repos: "org/a org/b",
    wait: "true",
  });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(await fx.count(a), 2, "pushed before the CI failed");
  assert.equal(run.outputs["ci-failed"], "org/a");
  assert.equal(run.outputs["updated"], "org/a org/b");
  assert.equal(run.outputs["failed-count"], "1");
  const link = `${gitea.origin}/org/a/actions/runs/1/jobs/0`;
  const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error"));
  assert.equal(errors.length, 1, run.stdout);
  assert.ok(errors[0]?.includes(link), errors[0]);
  assert.ok(run.summary.includes(`[failure](${link})`), run.summary);
  assert.ok(gitea.api.requests.length > 0);
  assert.ok(
    gitea.api.requests.every((r) => r.authorization === `token ${TOKEN}`),
  );
});

Deno.test("action: with config: and no base-url input, the config's baseUrl wins over a dead GITHUB_SERVER_URL", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("org/a", { ".runtime-version": "0.1.7\n" });
  const b = await fx.repo("org/b", { ".runtime-version": "0.1.7\n" });
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await Deno.mkdir(`${fx.root}/ws`, { recursive: true });
  await Deno.writeTextFile(
    `${fx.root}/ws/cascade.json`,
    JSON.stringify({ baseUrl: gitea.origin, repos: ["org/a", "org/b"] }),
  );
  // Nothing listens on port 9: a run sent there fails every template.
  const run = await runAction(
    fx,
    { version: "0.1.8", token: TOKEN, config: "cascade.json" },
    { serverUrl: "http://127.0.0.1:9" },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.outputs["updated"], "org/a org/b");
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.1.8\n");
  assert.equal(await fx.text(b, "main", ".runtime-version"), "0.1.8\n");
  assert.ok(!run.stdout.includes("127.0.0.1:9"), run.stdout);

  // Without a config the runner's server is the fallback: here, dead.
  await Deno.remove(`${fx.root}/ws/cascade.json`);
  const dead = await runAction(
    fx,
    { version: "0.1.9", token: TOKEN, repos: "org/a" },
    { serverUrl: "http://127.0.0.1:9" },
  );
  assert.equal(dead.code, 1, dead.stdout + dead.stderr);
  assert.equal(dead.outputs["failed"], "org/a");
  assert.equal(await fx.count(a), 2, "nothing more was pushed");
});
