/**
 * The git side of proposing: cascade's branch `cascade/<file>` for a
 * template, whether cascade owns what is on it, and pushing or deleting
 * it with a lease (never over a commit cascade did not see).
 *
 * cascade owns the branch when every commit it holds beyond the default
 * branch was made by cascade's author and committer (read with one fetch
 * that stops at the default branch, `--shallow-exclude`). A branch with
 * anyone else's commit is left untouched: cascade refuses, and says so.
 *
 * @example The branch for a file
 * ```ts
 * import assert from "node:assert/strict";
 * import { proposalBranch } from "./branch.ts";
 *
 * assert.equal(proposalBranch(".runtime-version"), "cascade/runtime-version");
 * assert.equal(proposalBranch("config/.node-version"), "cascade/config-node-version");
 * ```
 *
 * @module
 */

import {
  gitFailure,
  network,
  type RemoteContext,
  signalOf,
} from "../../git/context.ts";
import { lsRemote } from "../../git/remote.ts";
import { TemplateError } from "../../errors.ts";
import { readVersionState } from "../../version/state.ts";

/** The branch cascade proposes `file` on: `cascade/<file, dots dropped>`. */
export function proposalBranch(file: string): string {
  const name = file
    .split("/")
    .map((part) => part.replace(/^\.+/, ""))
    .filter((part) => part !== "")
    .join("-")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/(\.lock)?\.*$/, "");
  return `cascade/${name || "version"}`;
}

/** What the proposal branch holds now. */
export type Proposal =
  | { kind: "absent" }
  | { kind: "own"; tip: string; current: boolean }
  | { kind: "foreign"; tip: string; who: string };

/** The most commits beyond the default branch cascade reads. */
const MAX_COMMITS = 50;

/**
 * Reads the proposal branch: absent; cascade's own (and whether its tip
 * holds the version); or holding someone else's commit.
 */
export async function readProposal(
  ctx: RemoteContext,
  branch: string,
  base: { branch: string; tip: string },
  author: { name: string; email: string },
  file: string,
  version: string,
): Promise<Proposal> {
  const tip = (await lsRemote(ctx, branch)).tips.get(branch);
  if (tip === undefined) return { kind: "absent" };
  const fetched = await fetchBeyond(ctx, branch, base.branch);
  if (!fetched) return { kind: "own", tip, current: false };
  const log = await ctx.git([
    "log",
    `-n${MAX_COMMITS + 1}`,
    "--format=%H%x00%an%x00%ae%x00%cn%x00%ce",
    tip,
    `^${base.tip}`,
  ], { cwd: ctx.gitDir, env: ctx.env, ...signalOf(ctx) });
  if (log.code !== 0) gitFailure(log, `reading ${branch}`, ctx);
  const lines = log.stdout.split("\n").filter(Boolean);
  const own = `${author.name}\0${author.email}`;
  for (const line of lines) {
    const [, an = "", ae = "", cn = "", ce = ""] = line.split("\0");
    if (`${an}\0${ae}` !== own || `${cn}\0${ce}` !== own) {
      return { kind: "foreign", tip, who: `${an} <${ae}>` };
    }
  }
  if (lines.length > MAX_COMMITS) {
    return { kind: "foreign", tip, who: `more than ${MAX_COMMITS} commits` };
  }
  const state = await readVersionState(ctx, tip, file, version);
  return { kind: "own", tip, current: state.current };
}

/**
 * Fetches the branch's commits that the default branch lacks, with their
 * trees and small blobs; false when it holds none (nothing to lose).
 */
async function fetchBeyond(
  ctx: RemoteContext,
  branch: string,
  base: string,
): Promise<boolean> {
  const args = (filter: string[]) => [
    "fetch",
    "--no-tags",
    "--no-recurse-submodules",
    `--shallow-exclude=refs/heads/${base}`,
    ...filter,
    ctx.url,
    `refs/heads/${branch}`,
  ];
  let out = await network(ctx, args(["--filter=blob:limit=16k"]), ctx.gitDir);
  if (out.code !== 0 && /filter/i.test(out.stderr)) {
    out = await network(ctx, args([]), ctx.gitDir);
  }
  if (out.code !== 0 && /no commits selected/i.test(out.stderr)) return false;
  if (out.code !== 0) gitFailure(out, `fetching ${branch}`, ctx);
  return true;
}

/** How a push of the proposal branch ended. */
export type BranchPush =
  | { ok: true }
  | { ok: false; why: string };

/**
 * Sets the proposal branch to `commit` (null: deletes it), only while it
 * is at `expected` (null: absent): `--force-with-lease`, so a commit
 * someone pushed meanwhile is never overwritten.
 */
export async function setProposal(
  ctx: RemoteContext,
  branch: string,
  commit: string | null,
  expected: string | null,
): Promise<BranchPush> {
  const ref = `refs/heads/${branch}`;
  const out = await network(ctx, [
    "push",
    "--porcelain",
    "--no-thin",
    "--no-verify",
    `--force-with-lease=${ref}:${expected ?? ""}`,
    ctx.url,
    `${commit === null ? "" : `+${commit}`}:${ref}`,
  ], ctx.gitDir);
  const line = out.stdout.split("\n").find((l) => /^[ !=+*-]\t/.test(l));
  if (out.code === 0 && line !== undefined && !line.startsWith("!")) {
    return { ok: true };
  }
  if (line?.startsWith("!")) {
    const reason = /\[(?:remote )?rejected\]\s*\(?([^)]*)\)?/.exec(line)?.[1];
    return { ok: false, why: (reason ?? "rejected").trim() };
  }
  gitFailure(out, `pushing ${branch}`, ctx);
}

/** A proposal branch that holds someone else's work: refused. */
export function foreignBranch(branch: string, who: string): TemplateError {
  return new TemplateError(
    "conflict",
    `${branch} holds a commit cascade did not make (${who}); cascade leaves it untouched: merge, rename or delete that branch, then re-run`,
  );
}
