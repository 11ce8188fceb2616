/**
 * Runs cascade as a subprocess and measures its peak resident memory and
 * its time: with `/usr/bin/time -f %M` where that exists, else by reading
 * `VmHWM` from `/proc/<pid>/status` while it runs (the peak is monotonic;
 * the last reading is kept). A hostile test asserts the bound on both and
 * prints them, so the numbers can be quoted.
 *
 * @module
 */

import { CASCADE, type RunResult } from "./fixtures.ts";

/** A measured run. */
export interface MeasuredRun extends RunResult {
  /** Peak resident set of the cascade process, in MiB. */
  peakMiB: number;
  /** Wall time of the run, in milliseconds. */
  ms: number;
}

/** The memory every hostile run must stay under: 400 MiB. */
export const PEAK_LIMIT_MIB = 400;

const TIME = "/usr/bin/time";

/**
 * Runs `cascade args` with `--allow-net=127.0.0.1` (unless `allowNet` is
 * false), HOME and TMPDIR in `tmpDir`, plus `env`; kills it after
 * `killAfterMs` (default 60 s) so that no hostile test can hang.
 */
export async function runMeasured(
  args: string[],
  options: {
    tmpDir: string;
    env?: Record<string, string>;
    allowNet?: boolean;
    killAfterMs?: number;
  },
): Promise<MeasuredRun> {
  const haveTime = await Deno.stat(TIME).then((i) => i.isFile, () => false);
  const timeFile = `${options.tmpDir}/peak.txt`;
  const denoArgs = [
    "run",
    "--quiet",
    "--no-prompt",
    "--allow-run=git",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    ...(options.allowNet === false ? [] : ["--allow-net=127.0.0.1"]),
    CASCADE,
    ...args,
  ];
  const command = new Deno.Command(
    haveTime ? TIME : Deno.execPath(),
    {
      args: haveTime
        ? ["-f", "%M", "-o", timeFile, Deno.execPath(), ...denoArgs]
        : denoArgs,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: options.tmpDir,
        TMPDIR: options.tmpDir,
        DENO_DIR: Deno.env.get("DENO_DIR") ??
          `${Deno.env.get("HOME")}/.cache/deno`,
        NO_COLOR: "1",
        ...options.env,
      },
      stdout: "piped",
      stderr: "piped",
    },
  );
  const t0 = performance.now();
  const child = command.spawn();
  let polledKiB = 0;
  const poll = setInterval(() => {
    polledKiB = Math.max(polledKiB, hwmKiB(child.pid, haveTime));
  }, 25);
  const killer = setTimeout(() => {
    // Under `time`, cascade is its child: kill cascade, then `time`.
    const inner = haveTime ? childPid(child.pid) : null;
    if (inner !== null) {
      try {
        Deno.kill(inner, "SIGKILL");
      } catch { /* gone */ }
    }
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, options.killAfterMs ?? 60_000);
  try {
    const out = await child.output();
    const ms = performance.now() - t0;
    let kib = polledKiB;
    if (haveTime) {
      const text = await Deno.readTextFile(timeFile).catch(() => "");
      const last = text.trim().split("\n").pop() ?? "";
      if (/^\d+$/.test(last)) kib = Number(last);
    }
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      peakMiB: Math.round(kib / 1024),
      ms: Math.round(ms),
    };
  } finally {
    clearInterval(poll);
    clearTimeout(killer);
  }
}

/** The first child of `pid`, or null. */
function childPid(pid: number): number | null {
  try {
    const children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
      .trim();
    return children === "" ? null : Number(children.split(/\s+/)[0]);
  } catch {
    return null;
  }
}

/** VmHWM of `pid` (or of its only child, under `time`), in KiB; 0 if gone. */
function hwmKiB(pid: number, wrapped: boolean): number {
  try {
    const target = wrapped ? childPid(pid) : pid;
    if (target === null) return 0;
    const status = Deno.readTextFileSync(`/proc/${target}/status`);
    return Number(/VmHWM:\s*(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Prints one measured hostile case (for the closing note). */
export function note(name: string, run: MeasuredRun): void {
  console.log(
    `hostile case ${
      JSON.stringify(name)
    }: peak RSS ${run.peakMiB} MiB, ${run.ms} ms, exit ${run.code}`,
  );
}
