import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
  spawnCascade,
} from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import type { GitRunner } from "../lib/git/runner.ts";

/** A pre-receive hook that sleeps, widening the window between racers. */
const SLOW_HOOK = "#!/bin/sh\nsleep 0.3\n";

for (const order of ["older first", "newer first"] as const) {
  Deno.test(`two racing cascades (${order}): the newer version wins every template, nothing lost`, async () => {
    await using fx = await Fixture.create();
    const repos: string[] = [];
    const originals: string[] = [];
    // Two templates: each is raced on its own, and both must end at the
    // newer version.
    for (let i = 0; i < 2; i++) {
      const repo = await fx.repo(`tpl${i}`, {
        ".runtime-version": "0.1.6\n",
        [`f${i}`]: "x\n",
      });
      await fx.hook(repo, "pre-receive", SLOW_HOOK);
      repos.push(repo);
      originals.push((await fx.tip(repo))!);
    }
    const targets = repos.flatMap((r) => ["--repo", r]);
    const tmp = await Deno.makeTempDir({ dir: fx.root });
    const versions = order === "older first"
      ? ["0.1.7", "0.1.8"]
      : ["0.1.8", "0.1.7"];
    const runs = versions.map((v) =>
      runCascadeProcess([
        "push",
        v,
        ...targets,
        "--json",
        `${fx.root}/${v}.json`,
      ], { tmpDir: tmp })
    );
    const [a, b] = await Promise.all(runs);
    assert.equal(a?.code, 0, a?.stdout + a!.stderr);
    assert.equal(b?.code, 0, b?.stdout + b!.stderr);
    for (const [i, repo] of repos.entries()) {
      assert.equal(
        await fx.text(repo, "main", ".runtime-version"),
        "0.1.8\n",
        `tpl${i} ends at the newer version`,
      );
      assert.ok(
        await fx.isAncestor(repo, originals[i]!, "main"),
        "never force-pushed",
      );
      assert.equal(await fx.text(repo, "main", `f${i}`), "x\n");
    }
    const older = await readReport<PushReport>(`${fx.root}/0.1.7.json`);
    const newer = await readReport<PushReport>(`${fx.root}/0.1.8.json`);
    assert.ok(newer.results.every((r) => r.status === "updated"));
    for (const r of older.results) {
      assert.ok(["updated", "superseded"].includes(r.status), r.status);
      if (r.status === "superseded") {
        assert.equal(r.current, "0.1.8");
        assert.match(r.reason ?? "", /newer than 0\.1\.7/);
      }
    }
    // Whatever the interleaving, every commit that landed is kept: the
    // history holds the seed, then one or two cascade commits.
    for (const repo of repos) {
      const count = await fx.count(repo);
      assert.ok(count === 2 || count === 3, `commits: ${count}`);
    }
    assert.deepEqual([...Deno.readDirSync(tmp)], [], "no temp dir left behind");
  });
}

function racerBeforePush(
  fx: Fixture,
  repo: string,
  version: string,
): (git: GitRunner) => GitRunner {
  let raced = false;
  return (git) => async (args, options) => {
    if (args[0] === "push" && !raced) {
      raced = true;
      await fx.commit(repo, {
        branch: "main",
        files: { ".runtime-version": `${version}\n` },
        message: `other publisher: ${version}\n`,
        author: "Other <other@example.com>",
      });
    }
    return git(args, options);
  };
}

Deno.test("a racer that lands a newer version between fetch and push supersedes us", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1.6\n" });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.1.7", "--repo", repo, "--json", json],
    {},
    {
      wrapGit: racerBeforePush(fx, repo, "0.1.8"),
    },
  );
  assert.equal(run.code, 0, run.stdout);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.1.8\n");
  assert.equal(
    await fx.count(repo),
    2,
    "the racer's commit is kept, ours not added",
  );
  const r = (await readReport<PushReport>(json)).results[0]!;
  assert.equal(r.status, "superseded");
  assert.equal(r.current, "0.1.8");
  assert.match(run.stdout, /^superseded\s/m);
});

Deno.test("a racer that lands an older version is overwritten; an unorderable one is left alone", async () => {
  await using fx = await Fixture.create();
  const older = await fx.repo("older", { ".runtime-version": "0.1.6\n" });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.1.8", "--repo", older, "--json", json],
    {},
    {
      wrapGit: racerBeforePush(fx, older, "0.1.7"),
    },
  );
  assert.equal(run.code, 0, run.stdout);
  assert.equal(await fx.text(older, "main", ".runtime-version"), "0.1.8\n");
  assert.equal(await fx.count(older), 3);
  assert.equal((await readReport<PushReport>(json)).results[0]?.attempts, 2);

  const odd = await fx.repo("odd", { ".runtime-version": "0.1.6\n" });
  const run2 = await runCascade(
    ["push", "0.1.8", "--repo", odd, "--json", json],
    {},
    {
      wrapGit: racerBeforePush(fx, odd, "nightly"),
    },
  );
  assert.equal(run2.code, 0);
  assert.equal(await fx.text(odd, "main", ".runtime-version"), "nightly\n");
  const r = (await readReport<PushReport>(json)).results[0]!;
  assert.equal(r.status, "superseded");
  assert.match(r.reason ?? "", /cannot be ordered/);
});

Deno.test("SIGINT stops the run, marks unfinished templates, removes temp dirs, exits 130", async () => {
  await using fx = await Fixture.create();
  const repos: string[] = [];
  for (let i = 0; i < 3; i++) {
    const repo = await fx.repo(`t${i}`, { ".runtime-version": "1\n" });
    await fx.hook(
      repo,
      "pre-receive",
      `#!/bin/sh\ntouch "${fx.root}/hook-started"\nsleep 30\n`,
    );
    repos.push(repo);
  }
  const tmp = await Deno.makeTempDir({ dir: fx.root });
  const json = `${fx.root}/r.json`;
  const child = spawnCascade(
    [
      "push",
      "2",
      ...repos.flatMap((r) => ["--repo", r]),
      "--concurrency",
      "1",
      "--json",
      json,
    ],
    { tmpDir: tmp },
  );
  await appeared(`${fx.root}/hook-started`);
  const t0 = Date.now();
  child.kill("SIGINT");
  const out = await child.output();
  const elapsed = Date.now() - t0;
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 130, stdout + new TextDecoder().decode(out.stderr));
  // The hook sleeps 30 s: a stop that waited for it fails this generous
  // bound, however loaded the machine.
  assert.ok(elapsed < 20_000, `stopped promptly (${elapsed} ms)`);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => r.status), [
    "interrupted",
    "interrupted",
    "interrupted",
  ]);
  assert.match(report.results[2]?.reason ?? "", /not started/);
  assert.match(stdout, /3 interrupted/);
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "no temp dir left behind");
  for (const repo of repos.slice(1)) assert.equal(await fx.count(repo), 1);
});

Deno.test("a second SIGINT exits at once, still without debris", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "1\n" });
  // A git whose push ignores SIGTERM: the first interrupt has to wait out
  // the kill grace period; the second must not. The trap is set before the
  // marker, so the first SIGTERM can never find it unset.
  const marker = `${fx.root}/push-started`;
  const path = await fx.gitShim(
    `if [ "$1" = push ]; then trap '' TERM; touch "${marker}"; sleep 5; fi`,
  );
  const tmp = await Deno.makeTempDir({ dir: fx.root });
  const json = `${fx.root}/r.json`;
  const child = spawnCascade(["push", "2", "--repo", repo, "--json", json], {
    tmpDir: tmp,
    path,
  });
  const stdout = textOf(child.stdout);
  const stderr = textOf(child.stderr);
  await appeared(marker);
  child.kill("SIGINT");
  // The second comes once the first was taken (signals may coalesce).
  await stderr.holds("interrupted; stopping");
  child.kill("SIGINT");
  const { code } = await child.status;
  assert.equal(code, 130);
  // Exited at once: not the first interrupt's way (the kill grace, then
  // the report), which writes the report and the summary.
  await assert.rejects(Deno.stat(json), Deno.errors.NotFound);
  assert.doesNotMatch(await stdout.all, /interrupted/);
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "no temp dir left behind");
  assert.equal(await fx.count(repo), 1);
});

/** Waits until `path` exists: an event, bounded in polls, not a speed. */
async function appeared(path: string): Promise<void> {
  for (let polls = 0; polls < 2400; polls++) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`${path} never appeared`);
}

/** A child's stream read to its end as text, and a wait for a phrase in it. */
function textOf(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const watchers: { phrase: string; found: () => void }[] = [];
  const all = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const w of watchers) if (text.includes(w.phrase)) w.found();
    }
    return text;
  })();
  return {
    all,
    /** Resolves once the text holds `phrase`; rejects if it ends without. */
    holds: (phrase: string) =>
      new Promise<void>((resolve, reject) => {
        if (text.includes(phrase)) return resolve();
        watchers.push({ phrase, found: resolve });
        all.then(
          (t) => t.includes(phrase) ? resolve() : reject(new Error(t)),
          reject,
        );
      }),
  };
}
