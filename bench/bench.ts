/**
 * `deno task bench`: times, in one run, over the smart-HTTP test server with
 * a delay on every request (a stand-in for a remote server):
 *
 * (a) the old design's sequential clone/commit/push loop
 *     (`bench/old_cascade.sh`) on N heavy templates,
 * (b) `cascade push` on the same N heavy templates,
 * (c) `cascade push` on N tiny templates,
 *
 * and prints (a)/(b), (b)/(c), the git processes and HTTP requests one
 * template costs, and cascade's peak memory. Each is timed `--runs` times,
 * in rounds of (b), (c), (a), with a pause for the file system before each
 * round (see {@linkcode settle}), and the medians are
 * compared; one tiny template alone is timed too, for scale. An unmeasured
 * run first warms the server (which runs in this process). Fixtures are
 * built here and removed afterwards.
 *
 * (d) `cascade push` on N ref-heavy templates: the tiny ones' content with
 *     `--tags` (20,000) tags and `--pulls` (500) `refs/pull/<n>/head` refs,
 *     timed in the same rounds, right after (c); (d)/(c) is printed. With
 *     `--only refs` only (c) and (d) run (no heavy fixtures, no old loop):
 *     see {@linkcode refsOnly}.
 *
 * Options: --n 16 --delay 40 --commits 3000 --asset-mib 8 --concurrency 8
 * --runs 3 --settle 35 --tags 20000 --pulls 500 --only refs; `--wait` runs
 * the `push --wait` case instead (`wait_bench.ts`); `--scale` (with
 * `--sizes 64,512,2048`, `--versus`, `--count`, `--cascade <path>`) the
 * floor at fleet scale instead (`scale_bench.ts`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { main } from "../cascade.ts";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
} from "../lib/git/runner.ts";
import { seedCommit } from "../tests/support/seed.ts";
import { initBareRepo } from "../lib/git/init_repo.ts";
import { FastImportStream } from "../lib/git/fast_import.ts";
import { basicCredentials } from "../lib/console/redact.ts";
import { benchWait } from "./wait_bench.ts";
import { benchScale } from "./scale_bench.ts";
import {
  type GitHttpServer,
  pktLine,
  startGitHttpServer,
} from "../tests/support/http_server.ts";

const TOKEN = "bench-token-0123456789";
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "16" },
    delay: { type: "string", default: "40" },
    commits: { type: "string", default: "3000" },
    "asset-mib": { type: "string", default: "8" },
    concurrency: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
    settle: { type: "string", default: "35" },
    wait: { type: "boolean", default: false },
    tags: { type: "string", default: "20000" },
    pulls: { type: "string", default: "500" },
    only: { type: "string" },
    scale: { type: "boolean", default: false },
    versus: { type: "boolean", default: false },
    count: { type: "boolean", default: false },
    sizes: { type: "string", default: "64,512,2048" },
    cascade: { type: "string" },
  },
  strict: true,
});
const N = Number(values.n);
const DELAY = Number(values.delay);
const COMMITS = Number(values.commits);
const ASSET_MIB = Number(values["asset-mib"]);
const CONCURRENCY = values.concurrency;
const RUNS = Math.max(1, Number(values.runs));
const SETTLE_S = Math.max(0, Number(values.settle));
const REF_TAGS = Math.max(0, Number(values.tags));
const REF_PULLS = Math.max(0, Number(values.pulls));
if (values.only !== undefined && values.only !== "refs") {
  console.error(`--only: "refs" is the one case that runs alone`);
  Deno.exit(2);
}

if (values.scale || values.versus) {
  // The floor (see scale_bench.ts): N tiny templates, requests, RSS, temp.
  await benchScale({
    sizes: values.sizes.split(",").map(Number),
    delay: DELAY,
    concurrency: Number(CONCURRENCY),
    cascade: values.cascade ?? here("../cascade.ts"),
    versus: values.versus,
    count: values.count,
  });
  Deno.exit(0);
}

if (values.only === "refs") {
  await refsOnly();
  Deno.exit(0);
}

if (values.wait) {
  // The --wait case alone (see wait_bench.ts): CI 3 s after each push.
  await benchWait(N, CONCURRENCY);
  Deno.exit(0);
}

const root = await Deno.makeTempDir({ prefix: "cascade-bench-" });
try {
  await Deno.mkdir(`${root}/home`);
  await Deno.mkdir(`${root}/srv/heavy`, { recursive: true });
  await Deno.mkdir(`${root}/srv/tiny`, { recursive: true });
  await Deno.mkdir(`${root}/srv/refs`, { recursive: true });
  const git = createGitRunner({
    ...hermeticEnv(`${root}/home`),
    ...configEnv(BASE_GIT_CONFIG),
  });

  const t0 = performance.now();
  const heavySeed = `${root}/seed.git`;
  await buildHeavy(git, heavySeed);
  for (let i = 0; i < N; i++) {
    await copyDir(heavySeed, `${root}/srv/heavy/t${i}.git`);
    const tiny = `${root}/srv/tiny/t${i}.git`;
    await initBareRepo(tiny, "main");
    await seedCommit(git, tiny, {
      branch: "main",
      files: {
        ".runtime-version": "0.0.0\n",
        Dockerfile: ".runtime-version\n",
      },
    });
  }
  await buildRefTemplates(git, root, `${root}/srv/refs`, N); // (d)
  const packBytes = await dirSize(`${heavySeed}/objects`);
  console.log(
    `fixtures: ${N} heavy templates (${COMMITS} commits, ${ASSET_MIB} MiB asset, ${
      (packBytes / 2 ** 20).toFixed(1)
    } MiB of objects each), ${N} tiny ones and ${N} ref-heavy ones (${REF_TAGS} tags, ${REF_PULLS} refs/pull/*/head each), built in ${
      secs(performance.now() - t0)
    }`,
  );

  await using server = await startGitHttpServer({
    root: `${root}/srv`,
    token: TOKEN,
    delayMs: DELAY,
  });
  console.log(`server: ${server.origin}, ${DELAY} ms delay on every request\n`);
  const urls = (kind: string) =>
    Array.from({ length: N }, (_, i) => `${server.origin}/${kind}/t${i}.git`);

  const cascade = async (
    version: string,
    targets: string[],
  ): Promise<number> => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-run=git",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1",
        here("../cascade.ts"),
        "push",
        version,
        "--concurrency",
        CONCURRENCY,
        ...targets.flatMap((t) => ["--repo", t]),
      ],
      env: { CASCADE_TOKEN: TOKEN, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const peak = watchPeakRss(child.pid);
    const out = await child.output();
    const rss = await peak.stop();
    if (out.code !== 0) {
      throw new Error(
        `cascade failed:\n${new TextDecoder().decode(out.stdout)}`,
      );
    }
    return rss;
  };

  const oldCascade = async (
    version: string,
    targets: string[],
  ): Promise<void> => {
    const origin = new URL(targets[0]!).origin;
    const out = await new Deno.Command("sh", {
      args: [here("old_cascade.sh"), version, ...targets],
      clearEnv: true,
      env: {
        ...hermeticEnv(`${root}/home`),
        ...configEnv([
          ...BASE_GIT_CONFIG,
          [
            `http.${origin}/.extraHeader`,
            `Authorization: Basic ${basicCredentials("bench", TOKEN)}`,
          ],
        ]),
        GIT_AUTHOR_NAME: "bench",
        GIT_AUTHOR_EMAIL: "bench@example.com",
        GIT_COMMITTER_NAME: "bench",
        GIT_COMMITTER_EMAIL: "bench@example.com",
        TMPDIR: root,
      },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (out.code !== 0) throw new Error("old_cascade.sh failed");
  };

  // One tiny template alone, for scale; then rounds of (b) cascade on the
  // heavy templates, (c) on the tiny ones, (a) the old sequential loop on
  // the heavy ones. Every run writes a new version, so every template is
  // updated every time.
  // Unmeasured: warms the server (it runs in this process) and the caches.
  await cascade("1.0.8", urls("tiny"));
  await cascade("1.0.8", urls("refs")); // (d)
  const one = await timed(() => cascade("1.0.9", urls("tiny").slice(0, 1)));
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const d: number[] = []; // (d) ref-heavy
  let peak = { b: 0, c: 0 };
  for (let round = 1; round <= RUNS; round++) {
    await settle();
    const heavy = await timed(() => cascade(`1.${round}.2`, urls("heavy")));
    const tiny = await timed(() => cascade(`1.${round}.2`, urls("tiny")));
    a.push((await timed(() => oldCascade(`1.${round}.3`, urls("heavy")))).ms);
    b.push(heavy.ms);
    c.push(tiny.ms);
    d.push((await timed(() => cascade(`1.${round}.2`, urls("refs")))).ms);
    peak = {
      b: Math.max(peak.b, heavy.value),
      c: Math.max(peak.c, tiny.value),
    };
    console.log(
      `round ${round}: (a) ${secs(a.at(-1)!)}  (b) ${secs(heavy.ms)}  (c) ${
        secs(tiny.ms)
      }  (d) ${secs(d.at(-1)!)}`,
    );
  }
  const [ma, mb, mc] = [median(a), median(b), median(c)];
  const of = RUNS > 1 ? ` (median of ${RUNS})` : "";
  console.log(
    `\n(a) old sequential clone/commit/push, heavy: ${secs(ma)}${of}`,
  );
  console.log(
    `(b) cascade push, heavy:                   ${secs(mb)}${of}, peak RSS ${
      mib(peak.b)
    }`,
  );
  console.log(
    `(c) cascade push, tiny:                    ${secs(mc)}${of}, peak RSS ${
      mib(peak.c)
    }`,
  );
  console.log(
    `    one tiny template alone:               ${secs(one.ms)}`,
  );
  console.log(`\n(a)/(b) = ${(ma / mb).toFixed(1)}x   (target: at least 10x)`);
  console.log(`(b)/(c) = ${(mb / mc).toFixed(2)}    (target: at most 1.5)`);
  printRefsSummary(c, d, false);

  // Git processes and HTTP requests per template, counted through the
  // runner and by the server.
  const heavy0 = `${server.origin}/heavy/t0.git`;
  const tiny0 = `${server.origin}/tiny/t0.git`;
  const happy = await countCosts(server, ["push", "2.0.0", "--repo", heavy0]);
  const noop = await countCosts(server, ["push", "2.0.0", "--repo", heavy0]);
  const probe = await countCosts(server, [
    "push",
    "2.0.0",
    "--repo",
    tiny0,
    "--probe",
    "Dockerfile",
  ]);
  console.log(
    `\none template, one run: git processes (init: once per run), HTTP requests`,
  );
  for (
    const [name, cost] of [["update", happy], ["update + probe", probe], [
      "no-op",
      noop,
    ]] as const
  ) {
    console.log(
      `  ${
        name.padEnd(15)
      } ${cost.git} (${cost.gitDetail}); ${cost.http} requests`,
    );
  }
  await printRefCosts(server);
  console.log(
    `\nmachine: ${navigator.hardwareConcurrency} cores, ${Deno.build.os}/${Deno.build.arch}, deno ${Deno.version.deno}, ${await gitVersion()}`,
  );
} finally {
  await Deno.remove(root, { recursive: true });
}

/**
 * Waits `--settle` seconds. The old loop deletes thousands of files (its
 * clones) when it ends, and cascade hundreds (its work repos); on ext4
 * without a journal (these machines) creating a file in the same directory
 * tree scans past every inode deleted in the last ~30 s, so a run right
 * after another would pay for that cleanup. Each round starts on a file
 * system at rest instead.
 */
async function settle(): Promise<void> {
  if (SETTLE_S > 0) {
    console.log(`(waiting ${SETTLE_S} s for the file system to settle)`);
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  }
}

/** What one cascade run cost: git processes by subcommand, HTTP requests. */
async function countCosts(
  server: GitHttpServer,
  args: string[],
): Promise<{ git: number; gitDetail: string; http: number }> {
  const counts = new Map<string, number>();
  const before = server.requests.length;
  const code = await main(args, {
    sinks: { stdout: () => {}, stderr: () => {}, isTerminal: false },
    env: (name) => (name === "CASCADE_TOKEN" ? TOKEN : undefined),
    handleSignals: false,
    wrapGit: (git) => (gitArgs, options) => {
      // Skip leading `-c key=value` options to name the subcommand.
      const name = gitArgs.find((a, i) =>
        !a.startsWith("-") && gitArgs[i - 1] !== "-c"
      ) ?? "?";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return git(gitArgs, options);
    },
  });
  if (code !== 0) throw new Error(`cascade ${args.join(" ")} exited ${code}`);
  const git = [...counts.values()].reduce((x, y) => x + y, 0);
  const gitDetail = [...counts].map(([k, v]) => (v > 1 ? `${k} x${v}` : k))
    .join(", ");
  return { git, gitDetail, http: server.requests.length - before };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A template with COMMITS commits and an ASSET_MIB random asset at the tip. */
async function buildHeavy(git: GitRunner, path: string): Promise<void> {
  await initBareRepo(path, "main");
  const stream = new FastImportStream();
  const text = (t: string) => stream.text(t);
  const data = (d: string | Uint8Array) => stream.data(d);
  for (let i = 1; i <= COMMITS; i++) {
    text(`commit refs/heads/main\n`);
    text(`committer Dev <dev@example.com> ${1_600_000_000 + i * 60} +0000\n`);
    data(`change ${i}\n`);
    text(`M 100644 inline src/module-${i % 97}.py\n`);
    data(`# revision ${i}\n${"x = 1\n".repeat(20 + (i % 50))}`);
    if (i === 1) {
      text(`M 100644 inline .runtime-version\n`);
      data("0.0.0\n");
      text(`M 100644 inline Dockerfile\n`);
      data("COPY .runtime-version /tmp/\n");
    }
    if (i === COMMITS) {
      const asset = new Uint8Array(ASSET_MIB * 2 ** 20);
      for (let o = 0; o < asset.length; o += 65536) {
        crypto.getRandomValues(asset.subarray(o, o + 65536));
      }
      text(`M 100644 inline assets/model.bin\n`);
      data(asset);
    }
  }
  await stream.run(git, path);
  await git(["config", "uploadpack.allowFilter", "true"], { cwd: path });
}

async function copyDir(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("cp", { args: ["-r", from, to] }).output();
  if (out.code !== 0) throw new Error(`cp failed`);
}

async function dirSize(dir: string): Promise<number> {
  let size = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) size += await dirSize(path);
    else size += (await Deno.stat(path)).size;
  }
  return size;
}

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * Polls the high-water mark of resident memory (VmHWM) of a process. Deno
 * reads /proc only with --allow-all, so a `cat` does it.
 */
function watchPeakRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const out = await new Deno.Command("cat", {
        args: [`/proc/${pid}/status`],
        stderr: "null",
      }).output();
      const kb = Number(
        /VmHWM:\s+(\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? 0,
      );
      peak = Math.max(peak, kb * 1024);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peak;
    },
  };
}

async function gitVersion(): Promise<string> {
  const out = await new Deno.Command("git", { args: ["--version"] }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function mib(bytes: number): string {
  return bytes > 0 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : "n/a";
}

// ---------------------------------------------------------------------------
// The ref-heavy case (d): templates with many refs (issue 12).

/**
 * `--only refs`: builds N tiny templates and N ref-heavy ones (see
 * {@linkcode buildRefTemplates}), serves them like the full bench, and
 * times `cascade push` on each set in `--runs` rounds (the order alternates
 * from round to round; each round after the `--settle` pause), then prints
 * the medians, (d)/(c), and what one template costs on each: HTTP requests
 * and the bytes of the ref advertisements it reads. The CPU time of each
 * run (cascade, git on both sides, the server) is printed beside its wall
 * time: on a shared machine it moves less with other load.
 */
async function refsOnly(): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "cascade-bench-refs-" });
  try {
    await Deno.mkdir(`${root}/home`);
    await Deno.mkdir(`${root}/srv/tiny`, { recursive: true });
    await Deno.mkdir(`${root}/srv/refs`, { recursive: true });
    const git = createGitRunner({
      ...hermeticEnv(`${root}/home`),
      ...configEnv(BASE_GIT_CONFIG),
    });
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      await buildTiny(git, `${root}/srv/tiny/t${i}.git`);
    }
    await buildRefTemplates(git, root, `${root}/srv/refs`, N);
    console.log(
      `fixtures: ${N} tiny templates and ${N} ref-heavy ones (${REF_TAGS} tags, ${REF_PULLS} refs/pull/*/head each), built in ${
        secs(performance.now() - t0)
      }`,
    );
    await using server = await startGitHttpServer({
      root: `${root}/srv`,
      token: TOKEN,
      delayMs: DELAY,
    });
    console.log(
      `server: ${server.origin}, ${DELAY} ms delay on every request\n`,
    );
    const urls = (kind: string) =>
      Array.from({ length: N }, (_, i) => `${server.origin}/${kind}/t${i}.git`);
    // Unmeasured: warms the server and the caches.
    await spawnCascade("1.0.8", urls("tiny"));
    await spawnCascade("1.0.8", urls("refs"));
    const c: number[] = [];
    const d: number[] = [];
    const cpu = { c: [] as number[], d: [] as number[] };
    for (let round = 1; round <= RUNS; round++) {
      await settle();
      const version = `1.${round}.2`;
      const run = async (kind: "tiny" | "refs") => {
        const before = await cpuSeconds();
        const { ms } = await timed(() => spawnCascade(version, urls(kind)));
        cpu[kind === "tiny" ? "c" : "d"].push(await cpuSeconds() - before);
        return { ms };
      };
      const tiny = () => run("tiny");
      const refs = () => run("refs");
      // Alternate which goes first, so neither always runs on a file system
      // still busy with the other's cleanup.
      if (round % 2 === 1) {
        c.push((await tiny()).ms);
        d.push((await refs()).ms);
      } else {
        d.push((await refs()).ms);
        c.push((await tiny()).ms);
      }
      console.log(
        `round ${round}: (c) ${secs(c.at(-1)!)}  (d) ${
          secs(d.at(-1)!)
        }  (d)/(c) ${(d.at(-1)! / c.at(-1)!).toFixed(2)};  CPU (c) ${
          cpu.c.at(-1)!.toFixed(2)
        } s  (d) ${cpu.d.at(-1)!.toFixed(2)} s`,
      );
    }
    printRefsSummary(c, d);
    const [cc, cd] = [median(cpu.c), median(cpu.d)];
    console.log(
      `CPU, client and server: (c) ${cc.toFixed(2)} s, (d) ${
        cd.toFixed(2)
      } s, (d)/(c) ${(cd / cc).toFixed(2)} (less sensitive to other load)`,
    );
    await printRefCosts(server);
    console.log(`\n${await machine()}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/**
 * CPU seconds (user and system) used so far by this process and the
 * children it has waited for, theirs included: the cascade runs and the
 * server's git services. Read with `cat`, as {@linkcode watchPeakRss}
 * does; assumes 100 clock ticks per second (Linux).
 */
async function cpuSeconds(): Promise<number> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${Deno.pid}/stat`],
  }).output();
  const stat = new TextDecoder().decode(out.stdout);
  // Fields after the command name, from state (field 3): utime is field 14,
  // stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100;
}

/** A tiny template, as the full bench makes them. */
async function buildTiny(git: GitRunner, path: string): Promise<string> {
  await initBareRepo(path, "main");
  return await seedCommit(git, path, {
    branch: "main",
    files: {
      ".runtime-version": "0.0.0\n",
      Dockerfile: ".runtime-version\n",
    },
  });
}

/**
 * N ref-heavy templates `<dir>/t<i>.git`: a tiny template whose
 * `packed-refs`, written directly, adds `--tags` lightweight tags
 * (`refs/tags/v<major>.<minor>.<patch>`) and `--pulls` `refs/pull/<n>/head`
 * refs, all at the seed's one commit; built once in `<root>/refs-seed.git`,
 * then copied.
 */
async function buildRefTemplates(
  git: GitRunner,
  root: string,
  dir: string,
  n: number,
): Promise<void> {
  const seed = `${root}/refs-seed.git`;
  const oid = await buildTiny(git, seed);
  const names: string[] = [];
  for (let i = 0; i < REF_TAGS; i++) {
    names.push(
      `refs/tags/v${Math.floor(i / 1000)}.${Math.floor(i / 10) % 100}.${
        i % 10
      }`,
    );
  }
  for (let i = 1; i <= REF_PULLS; i++) names.push(`refs/pull/${i}/head`);
  // Byte order, as git sorts packed-refs ("sorted" trait).
  names.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  await Deno.writeTextFile(
    `${seed}/packed-refs`,
    `# pack-refs with: peeled fully-peeled sorted \n${
      names.map((name) => `${oid} ${name}\n`).join("")
    }`,
  );
  const count = await git(["for-each-ref", "--format=x"], { cwd: seed });
  const refs = count.stdout.split("\n").filter((l) => l !== "").length;
  if (count.code !== 0 || refs !== names.length + 1) {
    throw new Error(`ref-heavy seed: ${refs} refs, not ${names.length + 1}`);
  }
  for (let i = 0; i < n; i++) await copyDir(seed, `${dir}/t${i}.git`);
}

/** `cascade push VERSION` on `targets` in a child process, as in (b)/(c). */
async function spawnCascade(
  version: string,
  targets: string[],
): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-run=git",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net=127.0.0.1",
      here("../cascade.ts"),
      "push",
      version,
      "--concurrency",
      CONCURRENCY,
      ...targets.flatMap((t) => ["--repo", t]),
    ],
    env: { CASCADE_TOKEN: TOKEN, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  if (out.code !== 0) {
    throw new Error(`cascade failed:\n${new TextDecoder().decode(out.stdout)}`);
  }
}

/**
 * The medians of (c) (unless the caller printed it) and (d), and (d)/(c)
 * against its target.
 */
function printRefsSummary(c: number[], d: number[], withC = true): void {
  const of = RUNS > 1 ? ` (median of ${RUNS})` : "";
  const [mc, md] = [median(c), median(d)];
  if (withC) {
    console.log(
      `\n(c) cascade push, tiny:                    ${secs(mc)}${of}`,
    );
  }
  console.log(`(d) cascade push, ref-heavy:               ${secs(md)}${of}`);
  console.log(`(d)/(c) = ${(md / mc).toFixed(2)}    (target: at most 1.3)`);
}

/**
 * What one template costs, tiny and ref-heavy: HTTP requests of an update
 * (counted by the server), and the size of each ref advertisement a client
 * can ask for (read here with the same requests git and cascade make):
 * protocol v2 `ls-refs` for HEAD and `main` (cascade's reads), the v2
 * capabilities (git's fetch), the v0 upload-pack advertisement (what a v0
 * read costs) and the receive-pack advertisement (git's push: always v0,
 * every ref).
 */
async function printRefCosts(server: GitHttpServer): Promise<void> {
  console.log(`\none template, one update: HTTP requests; advertisement bytes`);
  for (const kind of ["tiny", "refs"]) {
    const url = `${server.origin}/${kind}/t0.git`;
    const cost = await countCosts(server, ["push", "3.0.0", "--repo", url]);
    const bytes = await advertisementBytes(url);
    console.log(
      `  ${
        kind.padEnd(5)
      } ${cost.http} requests; v2 ls-refs ${bytes.lsRefs} B, v2 capabilities ${bytes.caps} B, v0 upload-pack ${
        kib(bytes.uploadV0)
      }, receive-pack (push) ${kib(bytes.receive)}`,
    );
  }
}

/** Sizes of the ref advertisements of one repo; see printRefCosts. */
async function advertisementBytes(url: string): Promise<
  { lsRefs: number; caps: number; uploadV0: number; receive: number }
> {
  const auth = {
    Authorization: `Basic ${basicCredentials("bench", TOKEN)}`,
  };
  const size = async (response: Response) => {
    if (!response.ok) throw new Error(`${response.url}: ${response.status}`);
    return (await response.arrayBuffer()).byteLength;
  };
  const v2 = { ...auth, "Git-Protocol": "version=2" };
  const lsRefs = await size(
    await fetch(`${url}/git-upload-pack`, {
      method: "POST",
      headers: {
        ...v2,
        "Content-Type": "application/x-git-upload-pack-request",
      },
      body: `${pktLine("command=ls-refs\n")}0001${pktLine("symrefs\n")}${
        pktLine("ref-prefix HEAD\n")
      }${pktLine("ref-prefix refs/heads/main\n")}0000`,
    }),
  );
  const caps = await size(
    await fetch(`${url}/info/refs?service=git-upload-pack`, { headers: v2 }),
  );
  const uploadV0 = await size(
    await fetch(`${url}/info/refs?service=git-upload-pack`, { headers: auth }),
  );
  const receive = await size(
    await fetch(`${url}/info/refs?service=git-receive-pack`, {
      headers: auth,
    }),
  );
  return { lsRefs, caps, uploadV0, receive };
}

/** Cores, load average, OS, Deno and git versions. */
async function machine(): Promise<string> {
  const load = await new Deno.Command("cat", { args: ["/proc/loadavg"] })
    .output().then((o) => new TextDecoder().decode(o.stdout).split(" "))
    .catch(() => []);
  return `machine: ${navigator.hardwareConcurrency} cores, load ${
    load.slice(0, 3).join(" ") || "n/a"
  }, ${Deno.build.os}/${Deno.build.arch}, deno ${Deno.version.deno}, ${await gitVersion()}`;
}

function kib(bytes: number): string {
  return bytes < 10_240 ? `${bytes} B` : `${(bytes / 1024).toFixed(0)} KiB`;
}
