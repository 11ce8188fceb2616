/**
 * The engine through its interface, with a fake `GitRunner` that records
 * every git call: the preflight's exact argument lists, the step getting
 * each template's branch and tip in input order, preflight failures as
 * unreached results, and interrupts before and during a run.
 */

import assert from "node:assert/strict";
import { gitAnswer } from "./support/fixtures.ts";
import {
  type EngineDeps,
  type Plan,
  type ReadSettings,
  runTemplates,
  type Step,
  type TemplateTask,
  type Unreached,
} from "../lib/engine/engine.ts";
import type { GitOutput, GitRunOptions } from "../lib/git/runner.ts";
import type { TemplateResult } from "../lib/model.ts";
import type { Target } from "../lib/targets/target.ts";

const TIP_A = "a".repeat(40);
const TIP_B = "b".repeat(40);

interface Call {
  args: readonly string[];
  options: GitRunOptions;
}

/** A git runner answering `ls-remote` per URL; records every call. */
function fakeGit(answers: Record<string, Partial<GitOutput>>) {
  const calls: Call[] = [];
  const git = (args: readonly string[], options: GitRunOptions = {}) => {
    calls.push({ args, options });
    const url = args.find((a) => a.startsWith("https://")) ?? "";
    const answer = answers[url] ?? { code: 128, stderr: "fatal: no answer" };
    const stdout = answer.stdout ?? "";
    return Promise.resolve(gitAnswer(args, stdout, answer));
  };
  return { git, calls };
}

function target(name: string): Target {
  return {
    repo: `org/${name}`,
    url: `https://git.test/org/${name}.git`,
    key: `git.test/org/${name}`,
    scheme: "http",
    origin: "https://git.test",
    embedded: null,
  };
}

const plan = (name: string): Plan => ({
  target: target(name),
  gitConfig: [["credential.helper", ""]],
});

const heads = (branch: string, tip: string, extra = "") =>
  `ref: refs/heads/${branch}\tHEAD\n${tip}\tHEAD\n${tip}\trefs/heads/${branch}\n${extra}`;

const SETTINGS: ReadSettings = {
  version: "1.2.3",
  file: "VERSION",
  concurrency: 4,
  timeoutMs: 1234,
};

interface Seen extends TemplateResult {
  tip?: string;
  unreached?: Omit<Unreached, "target">;
}

/** A step that records what it was given. */
function recordingStep(slots: number, onRun?: (task: TemplateTask) => void) {
  const ran: string[] = [];
  const step: Step<Seen> = {
    slots,
    run(task) {
      ran.push(task.target.repo);
      onRun?.(task);
      task.log.push(`ran ${task.branch}`);
      return Promise.resolve({
        repo: task.target.repo,
        url: task.target.url,
        branch: task.branch,
        tip: task.tip,
      });
    },
    unreached(why) {
      const { target, ...rest } = why;
      return {
        repo: target.repo,
        url: target.url,
        branch: why.branch,
        ...(why.error ? { error: why.error } : {}),
        unreached: rest,
      };
    },
    title: (result) => result.repo,
  };
  return { step, ran };
}

function deps(
  git: EngineDeps["git"],
  signal = new AbortController().signal,
): EngineDeps & { done: [number, string, string[]][] } {
  const done: [number, string, string[]][] = [];
  return {
    git,
    workDir: "work",
    signal,
    onDone: (index, title, log) => done.push([index, title, log]),
    done,
  };
}

Deno.test("engine: the preflight runs one ls-remote per template with exact arguments, then the step in input order", async () => {
  const { git, calls } = fakeGit({
    "https://git.test/org/a.git": { stdout: heads("main", TIP_A) },
    "https://git.test/org/b.git": { stdout: heads("trunk", TIP_B) },
  });
  const { step, ran } = recordingStep(2);
  const d = deps(git);
  const run = await runTemplates([plan("a"), plan("b")], SETTINGS, step, d);
  assert.deepEqual(
    calls.map((c) => c.args),
    ["a", "b"].map((n) => [
      "-c",
      "protocol.version=0",
      "ls-remote",
      "--symref",
      `https://git.test/org/${n}.git`,
      "HEAD",
    ]),
  );
  for (const call of calls) {
    assert.equal(call.options.cwd, "work");
    assert.equal(call.options.timeoutMs, 1234);
    assert.equal(call.options.env?.GIT_CONFIG_KEY_0, "credential.helper");
    assert.equal(call.options.env?.GIT_CONFIG_VALUE_0, "");
    assert.equal(call.options.signal, d.signal);
  }
  assert.deepEqual(ran.sort(), ["org/a", "org/b"]);
  assert.deepEqual(
    run.results.map((r) => [r.repo, r.branch, r.tip]),
    [["org/a", "main", TIP_A], ["org/b", "trunk", TIP_B]],
  );
  assert.equal(run.refused, 0);
  assert.deepEqual(
    d.done.sort((x, y) => x[0] - y[0]),
    [[0, "org/a", ["ran main"]], [1, "org/b", ["ran trunk"]]],
  );
});

Deno.test("engine: --branch asks for that branch too and uses its tip", async () => {
  const { git, calls } = fakeGit({
    "https://git.test/org/a.git": {
      stdout: heads("main", TIP_A, `${TIP_B}\trefs/heads/release\n`),
    },
  });
  const { step } = recordingStep(1);
  const run = await runTemplates(
    [plan("a")],
    { ...SETTINGS, branch: "release" },
    step,
    deps(git),
  );
  assert.deepEqual(calls.map((c) => c.args), [[
    "-c",
    "protocol.version=0",
    "ls-remote",
    "--symref",
    "https://git.test/org/a.git",
    "HEAD",
    "refs/heads/release",
  ]]);
  assert.deepEqual(run.results.map((r) => [r.branch, r.tip]), [[
    "release",
    TIP_B,
  ]]);
});

Deno.test("engine: a failed preflight is an unreached result with its error; refused credentials are counted", async () => {
  const { git } = fakeGit({
    "https://git.test/org/a.git": { stdout: heads("main", TIP_A) },
    "https://git.test/org/b.git": {
      code: 128,
      stderr:
        "fatal: Authentication failed for 'https://git.test/org/b.git/'\n",
    },
    "https://git.test/org/c.git": { stdout: heads("main", TIP_A) },
  });
  const { step, ran } = recordingStep(3);
  const run = await runTemplates(
    [plan("a"), plan("b"), plan("c")],
    { ...SETTINGS, branch: "gone" },
    step,
    deps(git),
  );
  assert.deepEqual(ran, []);
  assert.equal(run.refused, 1);
  const [a, b] = run.results;
  assert.equal(b?.error?.kind, "auth");
  assert.match(b?.error?.message ?? "", /^org\/b: /);
  assert.deepEqual(b?.unreached?.interrupted, false);
  assert.equal(a?.error?.kind, "invalid");
  assert.match(
    a?.error?.message ?? "",
    /branch gone does not exist \(cascade never creates branches\); check --branch/,
  );
});

Deno.test("engine: an interrupt before the run starts nothing and runs no git", async () => {
  const { git, calls } = fakeGit({});
  const controller = new AbortController();
  controller.abort();
  const { step, ran } = recordingStep(2);
  const run = await runTemplates(
    [plan("a"), plan("b")],
    SETTINGS,
    step,
    deps(git, controller.signal),
  );
  assert.deepEqual(calls, []);
  assert.deepEqual(ran, []);
  assert.deepEqual(
    run.results.map((r) => r.unreached),
    [
      { branch: null, interrupted: true, notStarted: true },
      { branch: null, interrupted: true, notStarted: true },
    ],
  );
});

Deno.test("engine: an interrupt during a template leaves the rest not started", async () => {
  const { git } = fakeGit({
    "https://git.test/org/a.git": { stdout: heads("main", TIP_A) },
    "https://git.test/org/b.git": { stdout: heads("main", TIP_B) },
    "https://git.test/org/c.git": { stdout: heads("main", TIP_B) },
  });
  const controller = new AbortController();
  const { step, ran } = recordingStep(1, () => controller.abort());
  const run = await runTemplates(
    [plan("a"), plan("b"), plan("c")],
    SETTINGS,
    step,
    deps(git, controller.signal),
  );
  assert.deepEqual(ran, ["org/a"]);
  assert.equal(run.results[0]?.tip, TIP_A);
  for (const later of run.results.slice(1)) {
    assert.deepEqual(later.unreached?.interrupted, true);
    assert.deepEqual(later.unreached?.notStarted, true);
  }
});
