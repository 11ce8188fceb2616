/**
 * Issue 23, what was left of it, run as a user runs cascade: the `v`
 * prefix refused before a dispatch and before a pull request, on/off
 * flags that take no value, a switch turned off that a retry keeps, a
 * missing report directory found before the push with reads narrowed,
 * and `targets` noting a closed stdout in its report.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { PushReport } from "../lib/model.ts";
import type { TargetsReport } from "../lib/targets/step.ts";
import {
  Fixture,
  readReport,
  runCascadeProcess,
  spawnCascade,
} from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import {
  dispatches,
  ENV,
  template,
  TOKEN,
  WORKFLOW,
} from "./support/dispatch.ts";
import { attachPulls } from "./support/gitea_pulls.ts";
import { args, ENV as PR_ENV, setup } from "./support/wait_fixtures.ts";
import { reportValidator } from "./support/report_schema.ts";
import { startGitHttpServer } from "./support/http_server.ts";

const CASCADE = fileURLToPath(new URL("../cascade.ts", import.meta.url));

Deno.test("subprocess: push --trigger dispatch v0.1.16 against templates at 0.1.16 exits 2 before any dispatch; --allow-prefix-change dispatches it as given", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  const files = {
    ...template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
    ".runtime-version": "0.1.16\n",
  };
  await fx.repo("org/a", files);
  await fx.repo("org/b", files);
  const json = `${fx.root}/r.json`;
  const dispatch = (version: string, more: string[]) =>
    runCascadeProcess([
      "push",
      version,
      "--trigger",
      "dispatch",
      "--workflow",
      "publish-image.yml",
      "--input",
      "runtime_version={version}",
      "--base-url",
      gitea.origin,
      "--repo",
      "org/a",
      "--repo",
      "org/b",
      "--json",
      json,
      ...more,
    ], { tmpDir: fx.root, env: ENV, allowNet: "127.0.0.1" });

  // Without and with --probe (the probe reads the file itself).
  for (const more of [[], ["--probe", "Dockerfile"]]) {
    const run = await dispatch("v0.1.16", more);
    assert.equal(run.code, 2, `${more}: ${run.stdout}${run.stderr}`);
    assert.match(
      run.stderr,
      /^cascade: all 2 templates hold 0\.1\.16, without a leading "v": did you mean 0\.1\.16\? Nothing was dispatched to them; pass --allow-prefix-change to dispatch v0\.1\.16 as given$/m,
    );
    assert.deepEqual(dispatches(gitea.api.requests), [], "nothing dispatched");
    const report = await readReport<PushReport>(json);
    assert.deepEqual(report.results.map((r) => [r.status, r.skip]), [
      ["skipped", "prefix"],
      ["skipped", "prefix"],
    ]);
  }

  // The same rule lets the matching spelling through, and the flag the other.
  const plain = await dispatch("0.1.16", []);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  const allowed = await dispatch("v0.1.16", ["--allow-prefix-change"]);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  const sent = dispatches(gitea.api.requests).map(([path, body]) => [
    path,
    (body as { inputs: Record<string, string> }).inputs.runtime_version,
  ]);
  assert.deepEqual(sent, [
    [
      "/api/v1/repos/org/a/actions/workflows/publish-image.yml/dispatches",
      "0.1.16",
    ],
    [
      "/api/v1/repos/org/a/actions/workflows/publish-image.yml/dispatches",
      "v0.1.16",
    ],
    [
      "/api/v1/repos/org/b/actions/workflows/publish-image.yml/dispatches",
      "0.1.16",
    ],
    [
      "/api/v1/repos/org/b/actions/workflows/publish-image.yml/dispatches",
      "v0.1.16",
    ],
  ]);
  const report = await readReport<PushReport>(json);
  assert.equal(report.options?.["allowPrefixChange"], true);
  assert.deepEqual(report.results.map((r) => r.status), [
    "dispatched",
    "dispatched",
  ]);
});

Deno.test("subprocess: push --via pr and --via auto v0.2 against 0.1 exit 2: no branch, no pull request, main untouched", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], null);
  await using _ = gitea;
  const pulls = attachPulls(gitea, `${fx.root}/srv`);
  const repo = repos[0] ?? "";
  const main = await fx.tip(repo);
  for (const via of ["pr", "auto"]) {
    const argv = args(gitea, ["a"], ["--via", via]);
    argv[1] = "v0.2";
    const run = await runCascadeProcess(argv, {
      env: PR_ENV,
      tmpDir: fx.root,
      allowNet: "127.0.0.1",
    });
    assert.equal(run.code, 2, `${via}: ${run.stdout}${run.stderr}`);
    assert.match(
      run.stderr,
      /^cascade: the template holds 0\.1, without a leading "v": did you mean 0\.2\? Nothing was pushed to it; pass --allow-prefix-change to write v0\.2 as given$/m,
    );
    assert.equal(await fx.tip(repo), main, `${via}: main untouched`);
    assert.deepEqual(await fx.branches(repo), ["main"], `${via}: no branch`);
    assert.equal(pulls.pulls("org/a").length, 0, `${via}: no pull request`);
  }
});

Deno.test("subprocess: an on/off flag with a value (--wait=false, --no-dry-run=true) exits 2 pointing at the other form, nothing pushed; --help says so", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const cases: [string, RegExp][] = [
    [
      "--wait=false",
      /^cascade: push: --wait is on or off and takes no value \(--wait=false\): write --wait, or --no-wait for the opposite$/m,
    ],
    [
      "--no-dry-run=true",
      /^cascade: push: --no-dry-run is on or off and takes no value \(--no-dry-run=true\): write --no-dry-run, or --dry-run for the opposite$/m,
    ],
    [
      "--no-downgrade=false",
      /^cascade: push: --no-downgrade is on or off and takes no value \(--no-downgrade=false\): write --no-downgrade, or --downgrade for the opposite$/m,
    ],
  ];
  for (const [flag, message] of cases) {
    const run = await runCascadeProcess(["push", "0.2", "--repo", a, flag], {
      tmpDir: fx.root,
    });
    assert.equal(run.code, 2, `${flag}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(await fx.count(a), 1, `${flag}: nothing pushed`);
  }
  const help = await runCascadeProcess(["push", "--help"], {
    tmpDir: fx.root,
  });
  assert.match(
    help.stdout,
    /^An on\/off flag takes no value: --wait=false is refused, write --no-wait$/m,
  );
});

Deno.test("subprocess: --no-dry-run over a config's dryRun is remembered; --retry-failed pushes for real, saying it reuses --no-dry-run", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const b = await fx.repo("b", { ".runtime-version": "0.1\n" });
  const closed = `${fx.root}/closed`;
  await Deno.writeTextFile(closed, "");
  await fx.hook(
    b,
    "pre-receive",
    `#!/bin/sh\ncat >/dev/null\nif [ -e '${closed}' ]; then echo closed >&2; exit 1; fi\nexit 0\n`,
  );
  const work = `${fx.root}/work`;
  await Deno.mkdir(work);
  await Deno.writeTextFile(
    `${work}/cascade.json`,
    JSON.stringify({ repos: [a, b], dryRun: true, json: "report.json" }),
  );
  const opts = { tmpDir: fx.root, cwd: work };
  const first = await runCascadeProcess(["push", "0.2", "--no-dry-run"], opts);
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.count(b), 1);
  const report = await readReport<PushReport>(`${work}/report.json`);
  assert.equal(report.options?.["dryRun"], false);
  assert.deepEqual(report.results.map((r) => r.status), ["updated", "failed"]);
  const validate = await reportValidator("push-report.schema.json");
  assert.ok(validate(report), JSON.stringify(validate.errors));

  await Deno.remove(closed);
  const retry = await runCascadeProcess(
    ["push", "0.2", "--retry-failed", "report.json"],
    opts,
  );
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.match(
    retry.stderr,
    /^cascade: --retry-failed report\.json: reusing its --no-dry-run /m,
  );
  // Pushed for real: the config's dryRun did not come back.
  assert.equal(await fx.text(b, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.count(b), 2);
});

/** Runs `deno run <flags> cascade.ts <args>` through bash in `cwd`. */
async function viaBash(flags: string, argv: string, cwd: string, tmp: string) {
  const script =
    `exec "$DENO" run --quiet --no-prompt --allow-run=git ${flags} "$CASCADE" ${argv}`;
  const out = await new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-c", script],
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO: Deno.execPath(),
      CASCADE,
      NO_COLOR: "1",
      DENO_DIR: Deno.env.get("DENO_DIR") ??
        `${Deno.env.get("HOME")}/.cache/deno`,
      CASCADE_TOKEN: "tok_operator2",
      HOME: tmp,
      TMPDIR: tmp,
    },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

Deno.test("subprocess: reads narrowed, --json in a directory that does not exist: exit 2 naming --json before the push; once it exists, the push and its report", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: "tok_operator2",
  });
  const work = `${fx.root}/work`;
  const tmp = `${fx.root}/tmp`;
  await Deno.mkdir(work);
  await Deno.mkdir(tmp);
  await Deno.writeTextFile(`${work}/templates.txt`, "org/a\n");
  const flags =
    `--allow-read=${tmp},templates.txt,cascade.json --allow-write=${tmp},out/report.json --allow-env`;
  const push =
    `push 0.2 --base-url ${server.origin} --repos-file templates.txt --json out/report.json`;
  const missing = await viaBash(flags, push, work, tmp);
  assert.equal(missing.code, 2, missing.stdout + missing.stderr);
  assert.equal(
    missing.stderr,
    `cascade: --json out/report.json: directory ${work}/out does not exist\nRun cascade --help for usage.\n`,
  );
  assert.equal(await fx.count(repo), 1, "nothing pushed");

  await Deno.mkdir(`${work}/out`);
  const run = await viaBash(flags, push, work, tmp);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  const report = await readReport<PushReport>(`${work}/out/report.json`);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    ["org/a", "updated"],
  ]);
  // The check left nothing behind but the report.
  const names = [];
  for await (const e of Deno.readDir(`${work}/out`)) names.push(e.name);
  assert.deepEqual(names, ["report.json"]);
});

Deno.test("subprocess: targets with stdout closed (| head -1): the report is written with lostOutput, exit 0, stderr says so", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const b = await fx.repo("b", { ".runtime-version": "0.1\n" });
  // git held until `go` exists (bounded), so stdout closes before a byte.
  const go = `${fx.root}/go`;
  const bin = `${fx.root}/bin`;
  await Deno.mkdir(bin);
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  await Deno.writeTextFile(
    `${bin}/git`,
    `#!/bin/sh
i=0
while [ ! -e '${go}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
PATH='${path}' exec git "$@"
`,
  );
  await Deno.chmod(`${bin}/git`, 0o755);
  const json = `${fx.root}/t.json`;
  const child = spawnCascade(
    [
      "targets",
      "--repo",
      a,
      "--repo",
      b,
      "--probe",
      "Dockerfile",
      "--json",
      json,
    ],
    { tmpDir: fx.root, path: `${bin}:${path}` },
  );
  await child.stdout.cancel();
  await Deno.writeTextFile(go, "");
  const stderr = new TextDecoder().decode(
    (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
  );
  const status = await child.status;
  assert.equal(status.code, 0, stderr);
  const report = await readReport<TargetsReport>(json);
  assert.deepEqual(report.targets.map((t) => [t.repo, t.branch]), [
    [a, "main"],
    [b, "main"],
  ]);
  assert.deepEqual(report.lostOutput, ["stdout"]);
  assert.match(
    stderr,
    new RegExp(
      `^cascade: stdout was closed before the run ended; ${json} holds every target$`,
      "m",
    ),
  );
  const validate = await reportValidator("targets-report.schema.json");
  assert.ok(validate(report), JSON.stringify(validate.errors));
});
