/**
 * Git's own children, killed with it. A `git push` or `git fetch` over HTTP
 * runs its transport in helper processes (`git remote-http`, then
 * `git send-pack` or `fetch-pack`); a signal to git alone leaves them
 * running, waiting on a server that does not answer, or on each other.
 * So, where this process may signal any process (`--allow-run` for all,
 * not only `git`), a git that talks to a server starts in a process group
 * of its own and every kill goes to the group; once git has exited,
 * whatever it left in its group is killed too. Otherwise (`--allow-run=git`)
 * a kill reaches git alone, and its helpers end by themselves once the
 * server has sent nothing for `--timeout` (`http.lowSpeedTime`). Local git
 * (reading and building objects) starts no helpers and keeps the cheaper
 * plain start: a process group costs Deno a full fork of itself.
 *
 * Every git still running is known here, so that a second interrupt,
 * which exits at once, does not leave them behind.
 *
 * @module
 */

/** A started git and how to signal it (and, where allowed, its group). */
export interface GitProcess {
  /** The running process. */
  readonly child: Deno.ChildProcess;
  /** Sends `signal` to git and, in group mode, to everything it started. */
  signal(signal: Deno.Signal): void;
  /** After git exited: kills what it left in its group; forgets it. */
  settle(): void;
}

const running = new Set<GitProcess>();
let groups: boolean | undefined;

/**
 * Whether each git gets a process group of its own: only where this
 * process may signal other processes than its children (a full
 * `--allow-run`), and not on Windows.
 */
function groupMode(): boolean {
  if (groups === undefined) {
    try {
      groups = Deno.build.os !== "windows" &&
        Deno.permissions.querySync({ name: "run" }).state === "granted";
    } catch {
      groups = false;
    }
  }
  return groups;
}

/**
 * Starts git with `options` and tracks it; with `helpers` (git talks to a
 * server), in a process group of its own where allowed.
 */
export function startGit(
  options: Deno.CommandOptions,
  helpers: boolean,
): GitProcess {
  const group = helpers && groupMode();
  const child = new Deno.Command("git", {
    ...options,
    ...(group ? { detached: true } : {}),
  }).spawn();
  const send = (signal: Deno.Signal) => {
    if (group) {
      try {
        Deno.kill(-child.pid, signal);
        return;
      } catch { /* the group is gone, or signalling it is refused */ }
    }
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  const git: GitProcess = {
    child,
    signal: send,
    settle: () => {
      running.delete(git);
      if (!group) return;
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* nothing left in the group: the usual case */ }
    },
  };
  running.add(git);
  return git;
}

/**
 * Kills every git still running, and what each started where allowed:
 * for an exit at once (a second interrupt), which waits for nothing.
 */
export function killRunningGit(): void {
  for (const git of running) git.signal("SIGKILL");
  running.clear();
}
