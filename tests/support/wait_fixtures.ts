/**
 * What the `--wait` and `--ci` tests share: template repos behind the
 * stand-in Gitea, the command line, fast polling, and request counters.
 *
 * @module
 */

import type { Fixture } from "./fixtures.ts";
import { type CiPlan, type GiteaServer, startGitea } from "./gitea_api.ts";
import type { CiPolling } from "../../lib/forge/polling.ts";
import type { Clock } from "../../lib/engine/clock.ts";

/** The token the stand-in requires. */
export const TOKEN = "wait-t0ken-5c1e";
/** A job context as Gitea Actions names it. */
export const BUILD = "publish-image / build (push)";
/** A second job context. */
export const LINT = "publish-image / lint (push)";

/** Fast polling and API retries for the stand-in's millisecond runs. */
export const FAST: CiPolling = {
  minIntervalMs: 15,
  maxIntervalMs: 40,
  retry: { attempts: 3, baseMs: 10, maxMs: 30, random: () => 0.5 },
};

/**
 * A clock that never waits on the wall: `sleep(ms)` moves `now` on by `ms`
 * and yields one turn of the event loop (so servers answer); an aborted
 * signal ends it at once. Deadlines such as `--wait-start 300ms` are then
 * reached in a bounded number of polls, however loaded the machine.
 */
export function fakeClock(
  start = Date.now(),
): Clock & { slept: number[]; advance(ms: number): void } {
  let now = start;
  const slept: number[] = [];
  const timers = new Set<{ at: number; fire: () => void }>();
  const pass = (ms: number) => {
    now += ms;
    for (const timer of [...timers]) {
      if (timer.at > now) continue;
      timers.delete(timer);
      timer.fire();
    }
  };
  return {
    slept,
    // A stand-in's slow answer: time passes on the clock, not on the wall;
    // a request in flight past its deadline is cut.
    advance: pass,
    timer: (ms, fire) => {
      const timer = { at: now + Math.max(0, ms), fire };
      timers.add(timer);
      if (ms <= 0) pass(0);
      return () => timers.delete(timer);
    },
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) return false;
      slept.push(ms);
      pass(ms);
      await new Promise((resolve) => setTimeout(resolve, 0));
      return !signal?.aborted;
    },
  };
}

/**
 * Waits until `done()` holds: an event, not a speed. Bounded in polls (6000
 * of 5 ms or more), so a test that goes wrong fails instead of hanging.
 */
export async function until(
  done: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  for (let polls = 0; !await done(); polls++) {
    if (polls >= 6000) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** FAST polling on a {@linkcode fakeClock}. */
export function fastFake(): CiPolling & {
  clock: ReturnType<typeof fakeClock>;
} {
  return { ...FAST, clock: fakeClock() };
}

/** Bare repos `org/<name>` at 0.1, and the stand-in Gitea serving them. */
export async function setup(
  fx: Fixture,
  names: string[],
  plan: CiPlan | null,
  files: Record<string, string> = { ".runtime-version": "0.1\n" },
): Promise<{ gitea: GiteaServer; repos: string[] }> {
  const repos = await Promise.all(
    names.map((n) => fx.repo(`org/${n}`, files)),
  );
  const gitea = await startGitea({ root: `${fx.root}/srv`, token: TOKEN });
  if (plan !== null) {
    for (const n of names) await gitea.api.configureCi(`org/${n}`, plan);
  }
  return { gitea, repos };
}

/** `push 0.2 --base-url <stand-in> --repo org/<name>... <more>`. */
export function args(
  gitea: GiteaServer,
  names: string[],
  more: string[],
): string[] {
  return [
    "push",
    "0.2",
    "--base-url",
    gitea.origin,
    ...names.flatMap((n) => ["--repo", `org/${n}`]),
    ...more,
  ];
}

/** The environment cascade runs with. */
export const ENV = { CASCADE_TOKEN: TOKEN };

/** Requests the stand-in served for commit statuses. */
export function statusRequests(gitea: GiteaServer, name?: string): number {
  return gitea.api.requests.filter((r) =>
    /\/commits\/[^/]+\/status$/.test(r.path) &&
    (name === undefined || r.path.includes(`/repos/org/${name}/`))
  ).length;
}

/** Pushes (receive-pack POSTs) the git server got for `org/<name>`. */
export function receivePacks(gitea: GiteaServer, name: string): number {
  return gitea.git.requests.filter((r) =>
    r.method === "POST" && r.path === `/org/${name}.git/git-receive-pack`
  ).length;
}
