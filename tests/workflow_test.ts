import assert from "node:assert/strict";
import {
  Fixture,
  memorySinks,
  readReport,
  runCascade,
} from "./support/fixtures.ts";
import type { PushReport, StatusReport } from "../lib/model.ts";
import { main } from "../cascade.ts";
import { parseTarget, shardTargets } from "../lib/targets/target.ts";

Deno.test("status reports branch, current value and drift, read-only, with exit 0 or 1", async () => {
  await using fx = await Fixture.create();
  const at = await fx.repo("at", { ".runtime-version": "0.1.8\r\n" }, "trunk");
  const behind = await fx.repo("behind", { ".runtime-version": "0.1.7\n" });
  const none = await fx.repo("none", { "README.md": "x\n" });
  const tips = [
    await fx.tip(at, "trunk"),
    await fx.tip(behind),
    await fx.tip(none),
  ];
  const json = `${fx.root}/status.json`;
  const all = await runCascade([
    "status",
    "0.1.8",
    "--repo",
    at,
    "--repo",
    behind,
    "--repo",
    none,
    "--json",
    json,
  ]);
  assert.equal(all.code, 1);
  assert.deepEqual([
    await fx.tip(at, "trunk"),
    await fx.tip(behind),
    await fx.tip(none),
  ], tips);
  const report = await readReport<StatusReport>(json);
  assert.equal(report.command, "status");
  assert.deepEqual(
    report.results.map((r) => ({
      branch: r.branch,
      current: r.current,
      drift: r.drift,
      error: r.error ?? null,
    })),
    [
      { branch: "trunk", current: "0.1.8", drift: false, error: null },
      { branch: "main", current: "0.1.7", drift: true, error: null },
      { branch: "main", current: null, drift: true, error: null },
    ],
  );
  assert.ok(report.results.every((r) => r.url.startsWith("file://")));
  assert.deepEqual(report.summary, { current: 1, drifted: 2, errors: 0 });
  assert.match(all.stdout, /^ok\s+.*at\.git\s+trunk\s+0\.1\.8/m);
  assert.match(all.stdout, /^drift\s+.*behind\.git\s+main\s+0\.1\.7/m);

  const ok = await runCascade(["status", "0.1.8", "--repo", at]);
  assert.equal(ok.code, 0, ok.stdout);
  const missing = await runCascade([
    "status",
    "0.1.8",
    "--repo",
    at,
    "--repo",
    `${fx.root}/srv/gone.git`,
    "--json",
    json,
  ]);
  assert.equal(missing.code, 1);
  const r2 = await readReport<StatusReport>(json);
  assert.equal(r2.results[1]?.error?.kind, "not_found");
  assert.equal(r2.summary.errors, 1);
});

Deno.test("in Actions: annotations, step summary and outputs; absent otherwise", async () => {
  await using fx = await Fixture.create();
  const good = await fx.repo("good", {
    ".runtime-version": "0.1\n",
    Dockerfile: ".runtime-version",
  });
  const skipped = await fx.repo("legacy", { Dockerfile: "FROM x\n" });
  const same = await fx.repo("same", {
    ".runtime-version": "0.2\n",
    Dockerfile: ".runtime-version",
  });
  const missing = `${fx.root}/srv/missing.git`;
  const summary = `${fx.root}/summary.md`;
  const output = `${fx.root}/output.txt`;
  const args = [
    "push",
    "0.2",
    "--repo",
    good,
    "--repo",
    skipped,
    "--repo",
    same,
    "--repo",
    missing,
    "--probe",
    "Dockerfile",
  ];
  const env = {
    GITHUB_ACTIONS: "true",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
  };
  const run = await runCascade(args, env);
  assert.equal(run.code, 1, "a failure makes the step red");
  const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error "));
  const warnings = run.stdout.split("\n").filter((l) =>
    l.startsWith("::warning ")
  );
  assert.equal(errors.length, 1);
  assert.match(
    errors[0]!,
    /^::error title=cascade%3A .*missing\.git::.*missing\.git: not_found: .*not found/,
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /legacy\.git: skipped: not wired/);
  assert.match(run.stderr, /^::group::.*good\.git \(updated\)$/m);
  assert.match(run.stderr, /^::endgroup::$/m);

  const md = await Deno.readTextFile(summary);
  assert.match(
    md,
    /^\| template \| branch \| previous → new \| status \| commit \| error \|$/m,
  );
  assert.match(
    md,
    /good\.git \| main \| 0\.1 → 0\.2 \| updated \| `[0-9a-f]{10}` \|/,
  );
  assert.match(
    md,
    /missing\.git \| - \| \(none\) \| failed \| {2}\| not\\_found: /,
  );
  const outputs = await Deno.readTextFile(output);
  const values = Object.fromEntries(
    outputs.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  assert.equal(values["updated"], good);
  assert.equal(values["unchanged"], same);
  assert.equal(values["skipped"], skipped);
  assert.equal(values["failed"], missing);
  assert.equal(values["failed-count"], "1");

  // Outside Actions: no annotations, no groups, nothing written.
  await Deno.remove(summary);
  await Deno.remove(output);
  const plain = await runCascade(args, {
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
  });
  assert.equal(plain.code, 1);
  assert.doesNotMatch(plain.stdout + plain.stderr, /::(error|warning|group)/);
  await assert.rejects(Deno.stat(summary));
  await assert.rejects(Deno.stat(output));

  // --summary writes the same Markdown anywhere.
  const anywhere = `${fx.root}/anywhere.md`;
  await runCascade([...args, "--summary", anywhere]);
  assert.match(await Deno.readTextFile(anywhere), /\| template \| branch \|/);
});

Deno.test("live progress only when stdout is a terminal", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "1\n" });
  const b = await fx.repo("b", { ".runtime-version": "1\n" });
  for (const isTerminal of [false, true]) {
    const sinks = memorySinks(isTerminal);
    const code = await main([
      "push",
      String(isTerminal ? 3 : 2),
      "--repo",
      a,
      "--repo",
      b,
    ], {
      sinks,
      env: (n) => ({ NO_COLOR: "1" } as Record<string, string>)[n],
      handleSignals: false,
    });
    assert.equal(code, 0);
    const out = sinks.out.join("");
    if (isTerminal) {
      assert.match(out, /cascade: \d\/2 done; in flight: /);
      assert.ok(out.includes("\r\x1b[2K"), "progress line is redrawn");
    } else {
      assert.ok(
        !/in flight|\r/.test(out) && !out.includes("\x1b"),
        "no progress, no escapes",
      );
    }
    assert.ok(!out.includes("\x1b[3"), "NO_COLOR: no colours");
  }
});

Deno.test("shards partition the targets: each in exactly one shard, stable", () => {
  const targets = Array.from(
    { length: 200 },
    (_, i) =>
      parseTarget(`org${i % 7}/tpl-${i}`, "https://git.example.com", "/"),
  );
  for (const n of [1, 2, 3, 5, 8]) {
    const seen = new Map<string, number>();
    for (let i = 1; i <= n; i++) {
      for (const t of shardTargets(targets, { index: i, count: n })) {
        seen.set(t.key, (seen.get(t.key) ?? 0) + 1);
      }
    }
    assert.equal(seen.size, targets.length, `n=${n}: every target in a shard`);
    assert.ok([...seen.values()].every((c) => c === 1), `n=${n}: exactly once`);
    const reversed = [...targets].reverse();
    const again = shardTargets(reversed, { index: 1, count: n }).map((t) =>
      t.key
    ).sort();
    assert.deepEqual(
      again,
      shardTargets(targets, { index: 1, count: n }).map((t) => t.key).sort(),
      "order-independent",
    );
  }
  const sizes = [1, 2, 3, 4].map((i) =>
    shardTargets(targets, { index: i, count: 4 }).length
  );
  assert.ok(sizes.every((s) => s > 25), `roughly even: ${sizes}`);
});

Deno.test("--shard runs only its share of the targets", async () => {
  await using fx = await Fixture.create();
  const repos = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) =>
      fx.repo(`t${i}`, { ".runtime-version": "1\n" })
    ),
  );
  const updated = new Set<string>();
  for (const shard of ["1/2", "2/2"]) {
    const json = `${fx.root}/shard.json`;
    const run = await runCascade([
      "push",
      "2",
      ...repos.flatMap((r) => ["--repo", r]),
      "--shard",
      shard,
      "--json",
      json,
    ]);
    assert.equal(run.code, 0, run.stdout);
    for (const r of (await readReport<PushReport>(json)).results) {
      assert.equal(r.status, "updated");
      assert.ok(!updated.has(r.repo));
      updated.add(r.repo);
    }
  }
  assert.equal(updated.size, repos.length);
  for (const repo of repos) assert.equal(await fx.count(repo), 2);
});

Deno.test("--retry-failed runs only the failed targets of an earlier report", async () => {
  await using fx = await Fixture.create();
  const good = await fx.repo("good", { ".runtime-version": "1\n" });
  const flaky = await fx.repo("flaky", { ".runtime-version": "1\n" });
  await fx.hook(
    flaky,
    "pre-receive",
    "#!/bin/sh\necho 'Gitea: Not allowed to push to protected branch main' >&2\nexit 1\n",
  );
  const first = `${fx.root}/first.json`;
  const run = await runCascade([
    "push",
    "2",
    "--repo",
    good,
    "--repo",
    flaky,
    "--json",
    first,
  ]);
  assert.equal(run.code, 1);
  await Deno.remove(`${flaky}/hooks/pre-receive`);
  const goodTip = await fx.tip(good);
  const second = `${fx.root}/second.json`;
  const retry = await runCascade([
    "push",
    "2",
    "--retry-failed",
    first,
    "--json",
    second,
  ]);
  assert.equal(retry.code, 0, retry.stdout);
  const report = await readReport<PushReport>(second);
  assert.deepEqual(report.results.map((r) => [r.url, r.status]), [[
    `file://${flaky}`,
    "updated",
  ]]);
  assert.equal(
    await fx.tip(good),
    goodTip,
    "the template that succeeded is not run again",
  );
  assert.equal(await fx.text(flaky, "main", ".runtime-version"), "2\n");

  const nothing = await runCascade(["push", "2", "--retry-failed", second]);
  assert.equal(nothing.code, 0);
  assert.match(nothing.stdout, /no failed templates: nothing to retry/);
});

Deno.test("a push whose branch no longer holds the commit afterwards fails verification", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("reverting", { ".runtime-version": "1\n" });
  const original = await fx.tip(repo);
  // A server that accepts the push, then puts the branch back.
  await fx.hook(
    repo,
    "post-receive",
    `#!/bin/sh\nwhile read old new ref; do git update-ref "$ref" "$old"; done\n`,
  );
  const json = `${fx.root}/r.json`;
  const run = await runCascade(["push", "2", "--repo", repo, "--json", json]);
  assert.equal(run.code, 1);
  assert.equal(await fx.tip(repo), original);
  const result = (await readReport<PushReport>(json)).results[0]!;
  assert.equal(result.status, "failed");
  assert.equal(result.verified, false);
  assert.match(
    result.error?.message ?? "",
    /pushed [0-9a-f]{10} but main is now at [0-9a-f]{10}, which does not contain it/,
  );
});

Deno.test("demo runs a cascade twice on throwaway repos and removes them", async () => {
  const run = await runCascade(["demo"]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /cascade push 0\.1\.8: 3 updated, 0 unchanged, 1 skipped, 0 failed/,
  );
  assert.match(
    run.stdout,
    /cascade push 0\.1\.8: 0 updated, 3 unchanged, 1 skipped, 0 failed/,
  );
  assert.match(
    run.stdout,
    /cascade status 0\.1\.8: 3 at the version, 0 drifted, 1 skipped, 0 unreadable/,
  );
  assert.match(run.stdout, /\nexit 0 \(legacy-java is skipped on purpose/);
  const root = /under (\S+), default/.exec(run.stdout)?.[1];
  assert.ok(root);
  await assert.rejects(Deno.stat(root), Deno.errors.NotFound);
});
