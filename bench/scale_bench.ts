/**
 * `deno task bench --scale`: the floor, measured. For each fleet size N
 * (`--sizes`, default 64,512,2048) of tiny templates served by the
 * smart-HTTP test server with `--delay` ms (40) before every response, one
 * `cascade push` that updates every template and one that finds each
 * current, at `--concurrency` (8). For each it prints HTTP requests per
 * template (as the server counted them), wall time per template, client
 * CPU per template (cascade and every git it started, from
 * `/usr/bin/time`), cascade's peak RSS, the most files its `TMPDIR` held at
 * once (polled every 100 ms) and what was left there at exit.
 *
 * `--versus` runs, on the same fleet at the same concurrency, a plain
 * `git clone`/commit/push loop (`clone_loop.sh`, the stand-in for
 * clone-based tools) and prints the same figures side by side with
 * cascade's.
 *
 * `--cascade <path>` runs another checkout's `cascade.ts` (the "before"
 * figures). `--count` also counts the git processes one update and one
 * no-op start (every process, git's own children included, through a
 * trace2 shim on PATH). Nothing here is a timed test; the figures go to
 * docs/floor.md.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  hermeticEnv,
} from "../lib/git/runner.ts";
import { seedCommit } from "../tests/support/seed.ts";
import { initBareRepo } from "../lib/git/init_repo.ts";
import { startGitHttpServer } from "../tests/support/http_server.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** How a scale or side-by-side bench runs. */
export interface ScaleOptions {
  /** Fleet sizes. */
  sizes: number[];
  /** Delay before every response, in ms. */
  delay: number;
  /** `--concurrency`. */
  concurrency: number;
  /** The `cascade.ts` to run. */
  cascade: string;
  /** Also run the clone loop. */
  versus: boolean;
  /** Count git processes per template. */
  count: boolean;
}

/** What one measured run cost. */
interface Cost {
  ms: number;
  cpuMs: number;
  rssKiB: number;
  peakFiles: number;
  leftFiles: number;
  requests: number;
}

/** Runs the scale bench (and the side-by-side one) as the options say. */
export async function benchScale(options: ScaleOptions): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "cascade-scale-" });
  try {
    await Deno.mkdir(`${root}/home`);
    const git = createGitRunner({
      ...hermeticEnv(`${root}/home`),
      ...configEnv(BASE_GIT_CONFIG),
    });
    const seed = `${root}/seed.git`;
    await initBareRepo(seed, "main");
    await seedCommit(git, seed, {
      branch: "main",
      files: {
        ".runtime-version": "0.0.0\n",
        Dockerfile: "FROM scratch\n# reads .runtime-version\n",
      },
    });
    await using server = await startGitHttpServer({
      root: `${root}/srv`,
      delayMs: options.delay,
    });
    console.log(
      `cascade: ${options.cascade}\nserver: ${options.delay} ms before every response; concurrency ${options.concurrency}\n`,
    );
    console.log(
      "N     run        req/tpl  ms/tpl  cpu ms/tpl  peak RSS  peak tmp files  left",
    );
    for (const n of options.sizes) {
      const list = await fleet(seed, root, server.origin, n);
      const run = async (label: string, args: string[]) => {
        const before = server.requests.length;
        const cost = await measured(args, `${root}/tmp`, root);
        cost.requests = server.requests.length - before;
        print(n, label, cost);
        return cost;
      };
      const cascadeArgs = (version: string) => [
        Deno.execPath(),
        "run",
        "--quiet",
        "--allow-run=git",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1",
        options.cascade,
        "push",
        version,
        "--concurrency",
        String(options.concurrency),
        "--repos-file",
        list,
      ];
      await run("update", cascadeArgs(`1.${n}.0`));
      await run("no-op", cascadeArgs(`1.${n}.0`));
      if (options.versus) {
        await run("clone-loop", [
          "sh",
          here("clone_loop.sh"),
          `2.${n}.0`,
          String(options.concurrency),
          list,
        ]);
      }
    }
    if (options.count) {
      await countProcesses(options, server.origin, root);
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs `args` under `/usr/bin/time` with `TMPDIR` at `tmp` (made fresh),
 * polling the files there every 100 ms.
 */
async function measured(
  args: string[],
  tmp: string,
  root: string,
): Promise<Cost> {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp);
  const times = `${root}/time.txt`;
  const t0 = performance.now();
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-o", times, "-f", "%U %S %M", ...args],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: `${root}/home`,
      TMPDIR: tmp,
      NO_COLOR: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peakFiles = 0;
  let running = true;
  const poll = (async () => {
    while (running) {
      peakFiles = Math.max(peakFiles, await countFiles(tmp));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const out = await child.output();
  const ms = performance.now() - t0;
  running = false;
  await poll;
  if (out.code !== 0) {
    throw new Error(
      `${args[0]} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  const [user = 0, sys = 0, rss = 0] = (await Deno.readTextFile(times))
    .trim().split("\n").at(-1)!.split(" ").map(Number);
  return {
    ms,
    cpuMs: (user + sys) * 1000,
    rssKiB: rss,
    peakFiles,
    leftFiles: await countFiles(tmp),
    requests: 0,
  };
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      n++;
      if (entry.isDirectory) n += await countFiles(`${dir}/${entry.name}`);
    }
  } catch { /* removed meanwhile */ }
  return n;
}

function print(n: number, label: string, cost: Cost): void {
  const per = (x: number) => (x / n).toFixed(1);
  console.log(
    `${String(n).padEnd(5)} ${label.padEnd(10)} ${
      per(cost.requests).padStart(7)
    }  ${per(cost.ms).padStart(6)}  ${per(cost.cpuMs).padStart(10)}  ${
      `${(cost.rssKiB / 1024).toFixed(0)} MiB`.padStart(8)
    }  ${String(cost.peakFiles).padStart(14)}  ${cost.leftFiles}`,
  );
}

/**
 * Counts the git processes (git's own children included) one update and
 * one no-op of one template start: a `git` shim on PATH sets
 * `GIT_TRACE2_EVENT`, which every git process and its children honour.
 */
async function countProcesses(
  options: ScaleOptions,
  origin: string,
  root: string,
): Promise<void> {
  const real = new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", "command -v git"] })
      .output()).stdout,
  ).trim();
  const shim = `${root}/shim`;
  const trace = `${root}/trace.json`;
  await Deno.mkdir(shim, { recursive: true });
  await Deno.writeTextFile(
    `${shim}/git`,
    `#!/bin/sh\nGIT_TRACE2_EVENT=${trace} exec ${real} "$@"\n`,
  );
  await Deno.chmod(`${shim}/git`, 0o755);
  const url = `${origin}/s/t0.git`;
  for (const [label, version] of [["update", "9.9.1"], ["no-op", "9.9.1"]]) {
    await Deno.remove(trace).catch(() => {});
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-run=git",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1",
        options.cascade,
        "push",
        version!,
        "--repo",
        url,
      ],
      clearEnv: true,
      env: {
        PATH: `${shim}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        HOME: `${root}/home`,
        TMPDIR: root,
      },
      stdout: "null",
      stderr: "null",
    }).output();
    const lines = (await Deno.readTextFile(trace).catch(() => ""))
      .split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
    const starts = lines.filter((e) => e.event === "start").length;
    const names = lines.filter((e) => e.event === "cmd_name")
      .map((e) => e.name as string);
    console.log(
      `git processes, one ${label} (exit ${out.code}): ${starts} (${
        names.join(", ")
      })`,
    );
  }
}

/** N copies of `seed` on the server; returns the file listing their URLs. */
async function fleet(
  seed: string,
  root: string,
  origin: string,
  n: number,
): Promise<string> {
  await Deno.remove(`${root}/srv`, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${root}/srv/s`, { recursive: true });
  for (let i = 0; i < n; i++) await copy(seed, `${root}/srv/s/t${i}.git`);
  const urls = Array.from({ length: n }, (_, i) => `${origin}/s/t${i}.git`);
  const list = `${root}/repos-${n}.txt`;
  await Deno.writeTextFile(list, `${urls.join("\n")}\n`);
  return list;
}

async function copy(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("cp", { args: ["-r", from, to] })
    .output();
  if (out.code !== 0) throw new Error("cp failed");
}
