/**
 * `deno task test`: runs the shard modules beside this file in lanes, one
 * lane per CPU this process may use and one more, each lane a `deno test` of
 * one shard at a time, taking the next shard off a queue in name order (the
 * heavy ones first, see `load.ts`) as soon as its last one ends. The extra
 * lane takes up the CPU a lane leaves idle while its tests wait on a server,
 * a timer or a cascade subprocess: measured on our two-core machines, three
 * lanes ended the suite about a tenth sooner than two (88 to 90 s against 93
 * to 104 s, in alternating runs).
 *
 * On Linux, with `taskset` on the PATH and more than one lane, the first
 * lanes, one per CPU, are each held to their CPU, and so is every git and
 * Deno process their tests start; a lane beyond them (the extra one) runs
 * free, wherever a CPU is idle (86 and 97 s, against 95 and 98 s with the
 * extra lane held to the first CPU).
 * Measured on our two-core machines, that costs about an eighth less CPU
 * than the same shards spread over both cores (`deno test --parallel`, or
 * lanes left unpinned): a Deno process and the git processes it starts stay
 * on one core's caches, and no process's threads are on two cores at once.
 * Where that cannot be done, the lanes run unpinned, as fast as before.
 *
 * Each shard's output is printed whole when it ends, then one summary line
 * for the run. The exit code is 1 when any shard failed, or printed no
 * summary a test run prints. Arguments go to every `deno test` (say,
 * `deno task test --filter 'push'`), but `--lanes=N`, which sets the number
 * of lanes (`--lanes=1` runs the shards one after another).
 *
 * @module
 */

import { shardModule, SHARDS } from "./load.ts";

/** What every shard's `deno test` gets: what the tests may touch. */
const TEST_FLAGS = [
  "test",
  "--no-check",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
];

/** How one shard went. */
export interface ShardOutcome {
  /** 1-based shard number. */
  shard: number;
  /** `deno test`'s exit code. */
  code: number;
  /** Tests passed and failed, from its summary line; null without one. */
  counts: { passed: number; failed: number } | null;
  /** Wall-clock milliseconds the shard took. */
  ms: number;
}

/**
 * The passed and failed counts of `deno test`'s summary line
 * (`ok | 12 passed | 0 failed (3s)`, `FAILED | 10 passed | 2 failed …`,
 * with or without colour and an ignored or filtered count), or null.
 */
export function summaryCounts(
  output: string,
): { passed: number; failed: number } | null {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").filter((l) => /^(ok|FAILED) \| /.test(l));
  const last = lines.at(-1);
  if (last === undefined) return null;
  const passed = /\| (\d+) passed\b/.exec(last)?.[1];
  const failed = /\| (\d+) failed\b/.exec(last)?.[1];
  if (passed === undefined || failed === undefined) return null;
  return { passed: Number(passed), failed: Number(failed) };
}

/**
 * The CPU list `taskset -cp PID` prints for a process
 * (`pid 7's current affinity list: 0,2-3`), or null where it prints none.
 */
export function affinityList(printed: string): number[] | null {
  const list = /affinity list:\s*(\S+)\s*$/m.exec(printed)?.[1];
  if (list === undefined) return null;
  const cpus: number[] = [];
  for (const part of list.split(",")) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (range === null) return null;
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    for (let cpu = first; cpu <= last && cpus.length < 1024; cpu++) {
      cpus.push(cpu);
    }
  }
  return cpus.length > 0 ? cpus : null;
}

/**
 * The CPUs to pin lanes to: this process's own, as `taskset` reads them
 * (Deno reads `/proc/self` only with every permission); null on another
 * system, without `taskset`, or with fewer than two.
 */
async function pinnableCpus(): Promise<number[] | null> {
  if (Deno.build.os !== "linux") return null;
  const out = await new Deno.Command("taskset", {
    args: ["-cp", String(Deno.pid)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (out === null || !out.success) return null;
  const cpus = affinityList(new TextDecoder().decode(out.stdout));
  return cpus !== null && cpus.length >= 2 ? cpus : null;
}

/** Runs shard `n` on `cpu` (unpinned when null); prints its output whole. */
async function runShard(
  n: number,
  cpu: number | null,
  passThrough: string[],
): Promise<ShardOutcome> {
  const module = decodeURIComponent(
    new URL(shardModule(n), import.meta.url).pathname,
  );
  const deno = [Deno.execPath(), ...TEST_FLAGS, ...passThrough, module];
  const [command, ...args] = cpu === null
    ? deno
    : ["taskset", "-c", String(cpu), ...deno];
  const started = performance.now();
  const out = await new Deno.Command(command!, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const counts = summaryCounts(stdout);
  const ended = `${shardModule(n)}: exit ${out.code}, ${
    counts === null ? "no summary" : `${counts.passed} passed`
  }, ${(ms / 1000).toFixed(1)}s${cpu === null ? "" : ` on CPU ${cpu}`}`;
  await Deno.stdout.write(
    new TextEncoder().encode(`${stdout}${stderr}\n${ended}\n\n`),
  );
  return { shard: n, code: out.code, counts, ms };
}

/** The `--lanes=N` value among `args`, and the rest for `deno test`. */
function parseArgs(args: string[]): { lanes: number | null; rest: string[] } {
  let lanes: number | null = null;
  const rest: string[] = [];
  for (const arg of args) {
    const value = /^--lanes=(\d+)$/.exec(arg)?.[1];
    if (value !== undefined && Number(value) > 0) lanes = Number(value);
    else rest.push(arg);
  }
  return { lanes, rest };
}

/** The run's last line, as `deno test` words its own. */
export function runSummary(outcomes: ShardOutcome[], ms: number): string {
  const passed = outcomes.reduce((n, o) => n + (o.counts?.passed ?? 0), 0);
  const failed = outcomes.reduce((n, o) => n + (o.counts?.failed ?? 0), 0);
  const broken = outcomes.filter((o) =>
    o.code !== 0 || o.counts === null || o.counts.failed > 0
  ).map((o) => o.shard);
  const secs = Math.round(ms / 1000);
  const head = broken.length === 0 ? "ok" : "FAILED";
  const which = broken.length === 0
    ? ""
    : ` | shards ${broken.map((s) => shardModule(s)).join(", ")} failed`;
  return `${head} | ${passed} passed | ${failed} failed${which} (${secs}s, ${outcomes.length} shard${
    outcomes.length === 1 ? "" : "s"
  })`;
}

/** Runs every shard in lanes; returns the exit code. */
async function main(args: string[]): Promise<number> {
  const { lanes: asked, rest } = parseArgs(args);
  const cpus = await pinnableCpus();
  const lanes = Math.max(
    1,
    Math.min(
      SHARDS,
      asked ?? (cpus?.length ?? navigator.hardwareConcurrency) + 1,
    ),
  );
  const pin = lanes > 1 ? cpus : null;
  const queue = Array.from({ length: SHARDS }, (_, i) => i + 1);
  const outcomes: ShardOutcome[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const cpu = pin === null || lane >= pin.length ? null : pin[lane]!;
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        outcomes.push(await runShard(n, cpu, rest));
      }
    }),
  );
  const line = runSummary(outcomes, performance.now() - started);
  console.log(`\n${line}`);
  return line.startsWith("ok ") ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
