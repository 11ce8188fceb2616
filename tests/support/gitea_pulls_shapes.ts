/**
 * What the pulls stand-in (`gitea_pulls.ts`) sends and runs: a pull
 * request in the shape of Gitea's `PullRequest`, JSON answers, and
 * hermetic git in a bare repo.
 *
 * @module
 */

import { giteaUser } from "./gitea_api.ts";

/** One pull request as the stand-in keeps it. */
export interface Pull {
  /** Its number in the repo. */
  number: number;
  /** Its global id. */
  id: number;
  /** The title. */
  title: string;
  /** The body. */
  body: string;
  /** The head branch. */
  head: string;
  /** The base branch. */
  base: string;
  /** `open` or `closed`. */
  state: "open" | "closed";
  /** Merged (then also closed). */
  merged: boolean;
  /** The merge commit (or the fast-forwarded head). */
  mergeSha: string | null;
  /** The head sha when it was closed or merged. */
  closedHead: string | null;
  /** The auto-merge schedule, if any. */
  schedule: { style: string; headCommitId: string; delete: boolean } | null;
  /** When it was created. */
  createdAt: string;
}

const MERGER = { name: "Gitea Merger", email: "merger@noreply.127.0.0.1" };

/** A PullRequest as Gitea sends it, from the repo's branch `tips`. */
export function pullJson(
  origin: string,
  fullName: string,
  pull: Pull,
  tips: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const headSha = pull.closedHead ?? tips.get(pull.head) ?? "";
  const web = `${origin}/${fullName}`;
  const branch = (ref: string, sha: string) => ({
    label: ref,
    ref,
    sha,
    repo_id: 1,
    // A Go nil pointer: the stand-in does not embed the repository.
    repo: null,
  });
  const user = giteaUser(origin, "cascade");
  return {
    id: pull.id,
    url: `${web}/pulls/${pull.number}`,
    number: pull.number,
    user,
    title: pull.title,
    body: pull.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: null,
    state: pull.state,
    draft: false,
    is_locked: false,
    comments: 0,
    review_comments: 0,
    additions: 1,
    deletions: 1,
    changed_files: 1,
    html_url: `${web}/pulls/${pull.number}`,
    diff_url: `${web}/pulls/${pull.number}.diff`,
    patch_url: `${web}/pulls/${pull.number}.patch`,
    mergeable: pull.state === "open",
    merged: pull.merged,
    merged_at: pull.merged ? pull.createdAt : null,
    merge_commit_sha: pull.mergeSha,
    merged_by: pull.merged ? user : null,
    allow_maintainer_edit: false,
    base: branch(pull.base, tips.get(pull.base) ?? ""),
    head: branch(pull.head, headSha),
    merge_base: tips.get(pull.base) ?? "",
    due_date: null,
    created_at: pull.createdAt,
    updated_at: pull.createdAt,
    closed_at: pull.state === "closed" ? pull.createdAt : null,
    pin_order: 0,
  };
}

/**
 * The commit `pull` merged with `style` would put on its base (made in
 * the bare repo `dir`, as Gitea does on its side), or why it cannot.
 */
export async function mergeCommit(
  dir: string,
  pull: Pull,
  style: string,
  base: string,
  head: string,
): Promise<string> {
  const fastForward = await git(dir, [
    "merge-base",
    "--is-ancestor",
    base,
    head,
  ])
    .then(() => true, () => false);
  if (style === "fast-forward-only" || (style === "rebase" && fastForward)) {
    return fastForward ? head : "not a fast-forward";
  }
  let tree: string;
  try {
    tree = (await git(dir, ["merge-tree", "--write-tree", base, head]))
      .split("\n")[0] ?? "";
  } catch {
    return "merge conflict";
  }
  const message = style === "merge"
    ? `Merge pull request '${pull.title}' (#${pull.number}) from ${pull.head} into ${pull.base}\n`
    : `${pull.title} (#${pull.number})\n`;
  const parents = style === "merge" ? ["-p", base, "-p", head] : ["-p", base];
  return await git(dir, ["commit-tree", tree, ...parents, "-m", message]);
}

/** The words Gitea's hook prints for a push to a protected branch. */
export function protectedWords(version: string, branch: string): string[] {
  const text = `Not allowed to push to protected branch ${branch}`;
  const level = /^1\.(\d+)/.exec(version)?.[1];
  // 1.22–1.23: one line `Gitea: …`; from 1.24: `error:` lines around it.
  return level !== undefined && Number(level) >= 24
    ? ["error:", `error: ${text}`, "error:"]
    : [`Gitea: ${text}`];
}

/**
 * Gitea's branch protection on the git side: a `pre-receive` hook in the
 * bare repo `dir` that refuses a push to `branch` with `words`.
 */
export async function writeProtectHook(
  dir: string,
  branch: string,
  words: readonly string[],
): Promise<void> {
  const hook = [
    "#!/bin/sh",
    "while read old new ref; do",
    `  if [ "$ref" = "refs/heads/${branch}" ]; then`,
    ...words.map((w) => `    echo '${w}' >&2`),
    "    exit 1",
    "  fi",
    "done",
    "exit 0",
    "",
  ].join("\n");
  await Deno.mkdir(`${dir}/hooks`, { recursive: true });
  await Deno.writeTextFile(`${dir}/hooks/pre-receive`, hook, { mode: 0o755 });
}

/** Runs hermetic git in the bare repo `dir`; stdout, trimmed, or throws. */
export async function git(dir: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd: dir,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      LC_ALL: "C",
      GIT_AUTHOR_NAME: MERGER.name,
      GIT_AUTHOR_EMAIL: MERGER.email,
      GIT_COMMITTER_NAME: MERGER.name,
      GIT_COMMITTER_EMAIL: MERGER.email,
      GIT_AUTHOR_DATE: "2026-02-01T00:00:00Z",
      GIT_COMMITTER_DATE: "2026-02-01T00:00:00Z",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** A JSON answer. */
export function json(
  value: unknown,
  status = 200,
  headers = new Headers(),
): Response {
  headers.set("Content-Type", "application/json;charset=utf-8");
  return new Response(JSON.stringify(value), { status, headers });
}

/** Gitea's 404. */
export function notFound(): Response {
  return json({ errors: ["not found"], message: "not found", url: "" }, 404);
}
