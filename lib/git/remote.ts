/**
 * The git recipe for a one-file commit without a clone or a checkout, over
 * {@linkcode GitRunner}: `ls-remote`, a shallow filtered fetch of the tip
 * into a throwaway bare repo, plumbing to build the new tree and commit,
 * and a non-force push. Every failure becomes a {@linkcode TemplateError}.
 *
 * @module
 */

import { readHttpRefs } from "./_http_refs.ts";
import { initBareRepo } from "./init_repo.ts";
import { pushOverHttp } from "./_http_push.ts";
import { fetchOverHttp } from "./_http_fetch.ts";
import { forLog } from "../console/neutralise.ts";
import { HTTP_TRACE_ENV, notGitServer, silentOverHttp } from "./not_git.ts";
import { checkedHead, type RemoteHead } from "./refs.ts";
import { ADVICE, remoteWords, TemplateError } from "../errors.ts";
import {
  gitFailure,
  network,
  type PushOutcome,
  type RemoteContext,
  signalOf,
  stepFailure,
} from "./context.ts";

export type { PushOutcome };

/**
 * The branch's tip as the server says it now, or null when it cannot be
 * read (a follow asks this to learn whether a newer push landed).
 */
export async function currentTip(
  ctx: RemoteContext,
  branch: string,
): Promise<string | null> {
  try {
    return (await lsRemote(ctx, branch)).tips.get(branch) ?? null;
  } catch {
    return null;
  }
}

/**
 * The default branch and branch tips, as `git ls-remote --symref URL HEAD
 * [refs/heads/BRANCH]` prints them: read in-process over smart HTTP where
 * `ctx.httpRefs` allows (see `_http_refs.ts`), else, or when that cannot
 * answer, with git. A HEAD branch cascade refuses as a branch name (see
 * {@linkcode checkedHead}), or a line git printed that does not parse,
 * fails with kind `invalid`.
 */
export async function lsRemote(
  ctx: RemoteContext,
  branch?: string,
): Promise<RemoteHead> {
  const step = "reading the branches";
  if (ctx.httpRefs) {
    const read = await readHttpRefs(
      ctx.httpRefs,
      ctx.timeoutMs,
      ctx.signal,
      branch,
    );
    if (read.ok) return read.head;
    if (read.reason === "timeout") throw stepFailure("timeout", step);
  }
  const refs = branch === undefined
    ? ["HEAD"]
    : ["HEAD", `refs/heads/${branch}`];
  // Protocol v0: one request. On v2, git 2.39's ls-remote sends no
  // `ref-prefix` for these patterns (measured with GIT_TRACE_PACKET against
  // git's own upload-pack; only --heads becomes a prefix, and it drops HEAD),
  // so v2 would bring the same refs in two requests (capabilities, ls-refs).
  const args = [
    "-c",
    "protocol.version=0",
    "ls-remote",
    "--symref",
    ctx.url,
    ...refs,
  ];
  const out = await network(ctx, args, ctx.scratchDir);
  if (out.code !== 0) gitFailure(out, step, ctx);
  if (silentOverHttp(ctx.url, out.code, out.stdout)) {
    // An empty repo, or a web server that is not git: git says nothing
    // either way. Once more with the HTTP answer traced tells them apart.
    const traced = await network(
      ctx,
      args,
      ctx.scratchDir,
      undefined,
      HTTP_TRACE_ENV,
    );
    const notGit = notGitServer(traced.stderr, ctx.url);
    if (notGit !== null) {
      throw new TemplateError("not_found", `${step}: ${notGit}`);
    }
  }
  return checkedHead(parseLsRemote(out.stdout, step), branch);
}

/**
 * Parses `git ls-remote --symref` output strictly: `ref: <target>\t<name>`
 * and `<oid>\t<name>` lines only (a line break in a ref name shows as a line
 * that is neither: kind `invalid`).
 */
function parseLsRemote(stdout: string, step: string): RemoteHead {
  const head: RemoteHead = { defaultBranch: null, tips: new Map() };
  let headTip: string | null = null;
  let symref: string | null = null;
  const lines = stdout.endsWith("\n") ? stdout.slice(0, -1) : stdout;
  for (const line of lines === "" ? [] : lines.split("\n")) {
    const ref = /^ref: ([^\t]+)\t([^\t]+)$/.exec(line);
    const tip = /^([0-9a-f]{40}|[0-9a-f]{64})\t([^\t]+)$/.exec(line);
    if (ref !== null) {
      if (ref[2] === "HEAD") symref = ref[1] ?? "";
    } else if (tip !== null) {
      const [, oid = "", name = ""] = tip;
      if (name === "HEAD") headTip = oid;
      else if (name.startsWith("refs/heads/")) {
        head.tips.set(name.slice("refs/heads/".length), oid);
      }
    } else {
      throw new TemplateError(
        "invalid",
        `${step}: git printed a line cascade cannot read ("${
          forLog(line, 80)
        }"), likely a ref name with a line break; rename it on the server, then re-run`,
      );
    }
  }
  if (symref?.startsWith("refs/heads/")) {
    head.defaultBranch = symref.slice("refs/heads/".length);
    if (headTip !== null) head.tips.set(head.defaultBranch, headTip);
  }
  return head;
}

/**
 * Config that names `url` a promisor remote with a filter, given to every
 * git process of the template: what a filtered fetch would otherwise write
 * into the work repo's config (three locked rewrites of the file) before
 * its first fetch. As with that config, objects the filter left out are
 * fetched lazily when read; a fetch with `--filter` uses its own filter.
 */
export function promisorConfig(url: string): [string, string][] {
  return [
    [`remote.${url}.promisor`, "true"],
    [`remote.${url}.partialclonefilter`, "blob:none"],
  ];
}

/**
 * Fetches the branch tip, depth 1: in one smart-HTTP request where
 * `ctx.httpRefs` allows and `want` is known (see `_http_fetch.ts`), else
 * with `git fetch`, asking the server for as little as the commit needs: the trees down to `depth` levels and the small blobs there
 * (`combine:tree:<depth+1>+blob:limit=16k`), falling back to `tree:1`, then
 * to no filter for servers without filter support. `want` is the tip the
 * preflight saw: fetching it by id saves the server a ref listing; a server
 * that refuses unadvertised ids gets the branch name instead. Returns the
 * fetched tip's id.
 */
export async function fetchTip(
  ctx: RemoteContext,
  branch: string,
  want?: string,
  depth = 1,
): Promise<string> {
  if (ctx.httpRefs && want !== undefined) {
    const fetched = await fetchOverHttp(ctx, want, branch, depth);
    if (fetched !== null) return fetched;
  }
  const byName = `refs/heads/${branch}`;
  const filters = [
    `--filter=combine:tree:${Math.min(depth, 8) + 1}+blob:limit=16k`,
    "--filter=tree:1",
    null,
  ];
  let next = 0;
  let filter = filters[next++] ?? null;
  let refspec = want ?? byName;
  const fetch = () =>
    network(ctx, [
      "fetch",
      "--no-tags",
      "--depth=1",
      "--no-recurse-submodules",
      ...(filter === null ? [] : [filter]),
      ctx.url,
      refspec,
    ], ctx.gitDir);
  let out = await fetch();
  // Each failure gets one remedy, then a retry: the branch name for a server
  // that refuses ids, a lesser filter for one that refuses the filter.
  while (out.code !== 0) {
    if (
      refspec !== byName && /unadvertised|not our ref|want/i.test(out.stderr)
    ) {
      refspec = byName;
    } else if (next < filters.length && /filter/i.test(out.stderr)) {
      filter = filters[next++] ?? null;
    } else break;
    out = await fetch();
  }
  if (out.code !== 0) gitFailure(out, `fetching ${branch}`, ctx);
  const fetchHead = await Deno.readTextFile(`${ctx.gitDir}/FETCH_HEAD`);
  const tip = /^([0-9a-f]{40,64})\t/.exec(fetchHead)?.[1];
  if (tip === undefined) {
    throw new TemplateError(
      "unknown",
      `fetching ${branch}: git reported no tip; ${ADVICE.unknown}`,
    );
  }
  return tip;
}

/**
 * Makes the template's work repo and fetches `tip` of `branch` (the tip
 * the preflight saw), with the trees down to `depth` levels. Returns the
 * fetched tip.
 */
export async function openTip(
  ctx: RemoteContext,
  tip: string,
  branch: string,
  depth: number,
): Promise<string> {
  // In the object format of the remote: a 64-digit tip means SHA-256.
  await initBareRepo(ctx.gitDir, "main", tip.length === 64 ? "sha256" : "sha1");
  return await fetchTip(ctx, branch, tip, depth);
}

/**
 * Pushes `commit` to the branch, never forced: in one smart-HTTP request
 * where `ctx.httpRefs` allows (see `_http_push.ts`), else, or when that did
 * not send it, `git push --porcelain --no-thin URL COMMIT:refs/heads/BRANCH`.
 * `parent`, when the caller wrote `commit` on that one parent, saves the
 * in-process push reading it back. A rejection is returned (the caller
 * decides whether the branch moved); any other failure throws.
 */
export async function push(
  ctx: RemoteContext,
  commit: string,
  branch: string,
  parent?: string,
): Promise<PushOutcome> {
  if (ctx.httpRefs) {
    const pushed = await pushOverHttp(ctx, commit, branch, parent);
    if (pushed !== null) return pushed;
  }
  const out = await network(ctx, [
    "push",
    "--porcelain",
    "--no-thin",
    "--no-verify",
    ctx.url,
    `${commit}:refs/heads/${branch}`,
  ], ctx.gitDir);
  const line = out.stdout.split("\n").find((l) => /^[ !=+*-]\t/.test(l));
  if (out.code === 0 && line !== undefined && /^[ =]\t/.test(line)) {
    return { ok: true };
  }
  if (line?.startsWith("!")) {
    const reason = /\[(?:remote )?rejected\]\s*\(?([^)]*)\)?/.exec(line)?.[1] ??
      line.split("\t")[2] ?? "rejected";
    return {
      ok: false,
      reason: reason.trim(),
      words: remoteWords(out.stderr),
      output: out,
    };
  }
  gitFailure(out, `pushing to ${branch}`, ctx);
}

/**
 * Whether `ancestor` is `tip` or an ancestor of it, fetching the commits of
 * `tip` (no trees) when they are not here yet.
 */
export async function isAncestor(
  ctx: RemoteContext,
  ancestor: string,
  tip: string,
  branch: string,
): Promise<boolean> {
  if (ancestor === tip) return true;
  const fetched = await network(ctx, [
    "fetch",
    "--no-tags",
    "--filter=tree:0",
    ctx.url,
    `refs/heads/${branch}`,
  ], ctx.gitDir);
  if (fetched.code !== 0) gitFailure(fetched, "verifying the push", ctx);
  const out = await ctx.git(["merge-base", "--is-ancestor", ancestor, tip], {
    cwd: ctx.gitDir,
    env: ctx.env,
    ...signalOf(ctx),
  });
  return out.code === 0;
}
