/**
 * Pushing one commit over smart HTTP without starting `git push`: one
 * `POST <url>/git-receive-pack` holding the ref update and a pack, with no
 * GET of `info/refs?service=git-receive-pack` before it. git 2.39 has no
 * protocol v2 for push, so `git push` first downloads every ref of the
 * repo (1.3 MB for 20,000 tags) and parses it; cascade already knows the
 * one tip it needs: the commit's parent.
 *
 * Never forced: the update names the commit's only parent (read from the
 * commit itself, so the update is always a fast-forward) as the old value,
 * and the server's receive-pack updates the ref only if it still holds
 * that value; else it answers `ng ... failed to update ref` and
 * `push_land.ts` re-reads and retries, as after git's `fetch first`. The
 * pack is self-contained (no thin deltas): the commit, the new trees on
 * the file's path and the new blob, as cascade wrote them in-process
 * (`ctx.written`), else built by `git pack-objects --revs` from
 * `<commit> ^<parent>` in the work repo.
 *
 * Used only where the in-process ref read is (`ctx.httpRefs`, see
 * `_http_refs.ts`), for SHA-1 repos and branch names git would accept.
 * Returns null, and the caller runs `git push`, whenever nothing can have
 * been applied: the commit or pack cannot be made, the connection cannot
 * be opened, or the server answers anything but a 200 receive-pack result
 * (401, 403, 404, a redirect, an error page: `git push` then makes the one
 * request more and names the failure exactly as it always has; it is
 * itself never forced, and finds the branch up to date should an error
 * page have hidden a push that landed). A 429 applied nothing either, but
 * fails the push as `rate-limited` (git would be refused the same). Once a 200 result came, an answer
 * that is cut off, too large (over {@linkcode MAX_PUSH_ANSWER_BYTES}),
 * malformed or a server's fatal error throws a {@linkcode TemplateError}
 * (`network`, `timeout` or `unknown`), and the caller reads the branch back
 * to learn whether the push landed. The server's words are returned as
 * `remote:` text is by `git push` (see `remoteWords`); they are printed
 * only neutralised.
 *
 * @module
 */

import { deadline } from "./_deadline.ts";
import { concatBytes, type GitOutput } from "./runner.ts";
import {
  handOver,
  network,
  type PushOutcome,
  type RemoteContext,
  signalOf,
} from "./context.ts";
import { parsePktLines, pktLine } from "./pkt_line.ts";
import { readCapped } from "../read_capped.ts";
import { branchNameProblem } from "./refs.ts";
import { VERSION } from "../tool_version.ts";
import {
  ADVICE,
  InterruptedError,
  remoteWords,
  TemplateError,
} from "../errors.ts";
import { forLog } from "../console/neutralise.ts";
import { refuseRateLimit } from "./_rate_limited.ts";
import { cutRedacted } from "../console/secret_forms.ts";

/**
 * The most bytes of a push's answer read (1 MiB; git's answer for one ref,
 * hook output included, is a few hundred bytes).
 */
const MAX_PUSH_ANSWER_BYTES: number = 1024 * 1024;

const REQUEST = "application/x-git-receive-pack-request";
const RESULT = "application/x-git-receive-pack-result";

/**
 * Pushes `commit` to `branch` in one smart-HTTP request, as described in
 * the module doc. `knownParent`, when the caller wrote `commit` on that
 * one parent itself, saves reading the commit back. Null when it did not send the push (the caller uses
 * `git push`); else the outcome in the shape `git push --porcelain` gives.
 */
export async function pushOverHttp(
  ctx: RemoteContext,
  commit: string,
  branch: string,
  knownParent?: string,
): Promise<PushOutcome | null> {
  const refs = ctx.httpRefs;
  if (!refs || commit.length !== 40 || branchNameProblem(branch) !== null) {
    return null;
  }
  const origin = new URL(refs.url).origin;
  if (refs.run.gitOnly.has(origin)) return null;
  const parent = knownParent ?? await onlyParent(ctx, commit);
  if (parent === null) return null;
  const pack = ctx.written?.get(commit) ?? await packFor(ctx, commit, parent);
  if (pack === null) return null;
  const ref = `refs/heads/${branch}`;
  const body = concatBytes([
    pktLine(
      `${parent} ${commit} ${ref}\0report-status side-band-64k quiet agent=cascade/${VERSION}\n`,
    ),
    new TextEncoder().encode("0000"),
    pack,
  ]);
  const step = `pushing to ${branch}`;
  using limit = deadline(ctx.timeoutMs, ctx.signal);
  const abort = limit.signal;
  const headers: Record<string, string> = {
    "Content-Type": REQUEST,
    Accept: RESULT,
  };
  if (refs.authorization !== null) {
    headers["Authorization"] = refs.authorization;
  }
  let answer: Uint8Array | "too-large";
  try {
    const response = await fetch(
      `${refs.url.replace(/\/+$/, "")}/git-receive-pack`,
      { method: "POST", headers, body, redirect: "manual", signal: abort },
    ).catch((error) => {
      if (abort.aborted || !connectFailed(error)) throw error;
      // Nothing was sent: git pushes, and names the failure if it fails too.
      refs.run.gitOnly.add(origin);
      return null;
    });
    if (response === null) return null;
    // Refused before anything was applied: git would be refused the same.
    await refuseRateLimit(response, step, refs.url);
    const type = response.headers.get("content-type")?.split(";")[0]?.trim();
    if (response.status !== 200 || type !== RESULT || !response.body) {
      await response.body?.cancel().catch(() => {});
      return null;
    }
    answer = await readCapped(response.body, MAX_PUSH_ANSWER_BYTES, abort);
  } catch (error) {
    if (ctx.signal?.aborted) throw new InterruptedError();
    if (error instanceof TemplateError) throw error;
    if (limit.timedOut) throw lost("timeout", step, "timed out");
    throw lost("network", step, `the connection was lost (${host(origin)})`);
  }
  if (answer === "too-large") {
    throw lost("unknown", step, "the server's answer was too large");
  }
  return readReport(answer, ref, step);
}

/** The commit's only parent, or null when it has none or several. */
async function onlyParent(
  ctx: RemoteContext,
  commit: string,
): Promise<string | null> {
  await handOver(ctx);
  const out = await ctx.git(["cat-file", "commit", commit], {
    cwd: ctx.gitDir,
    env: ctx.env,
    ...signalOf(ctx),
  });
  if (out.aborted) throw new InterruptedError();
  if (out.code !== 0) return null;
  const header = out.stdout.split("\n\n")[0] ?? "";
  const parents = [...header.matchAll(/^parent ([0-9a-f]{40})$/gm)];
  return parents.length === 1 ? parents[0]?.[1] ?? null : null;
}

/**
 * The pack of what `commit` adds to `parent`, as `git push --no-thin`
 * makes it (no deltas against objects the server has, no offset deltas the
 * server did not offer), or null when git cannot make it here.
 */
async function packFor(
  ctx: RemoteContext,
  commit: string,
  parent: string,
): Promise<Uint8Array | null> {
  const out = await network(
    ctx,
    ["pack-objects", "--revs", "--stdout", "-q"],
    ctx.gitDir,
    `${commit}\n^${parent}\n`,
  );
  if (out.aborted) throw new InterruptedError();
  const bytes = out.stdoutBytes;
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  return out.code === 0 && magic === "PACK" ? bytes : null;
}

/**
 * Reads receive-pack's answer: side-band pkt-lines (1: the status report,
 * 2: the server's words, 3: a fatal error) and a flush; in the report,
 * `unpack <status>`, then `ok <ref>` or `ng <ref> <reason>` for our one
 * ref, and a flush. Anything else throws (kind `unknown`).
 */
function readReport(
  answer: Uint8Array,
  ref: string,
  step: string,
): PushOutcome {
  const bad = (why: string) => lost("unknown", step, why);
  const outer = parsePktLines(answer, false);
  if (outer === null || outer.at(-1)?.type !== "flush") {
    throw bad("the server's answer was not a complete push report");
  }
  const report: Uint8Array[] = [];
  let words = "";
  let fatal: string | null = null;
  for (const pkt of outer.slice(0, -1)) {
    if (pkt.type !== "data") throw bad("the server's answer was malformed");
    const band = pkt.bytes[0];
    const rest = pkt.bytes.subarray(1);
    if (band === 1) report.push(rest);
    else if (band === 2) words += decode(rest);
    else if (band === 3) fatal = (fatal ?? "") + decode(rest);
    else throw bad("the server's answer was malformed");
  }
  const stderr = words.split(/[\r\n]+/).map((l) => `remote: ${l}`).join("\n");
  if (fatal !== null) {
    throw bad(`the server failed: ${forLog(fatal.trim(), 200)}`);
  }
  const lines = parsePktLines(concatBytes(report), false);
  const texts = lines?.map((p) => p.type === "data" ? decode(p.bytes) : null);
  if (!texts || texts.at(-1) !== null || texts.length !== 3) {
    throw bad("the server's push report was malformed");
  }
  const [unpack = "", status = ""] = texts as string[];
  if (!/^unpack .+\n?$/.test(unpack)) {
    throw bad("the server's push report was malformed");
  }
  if (status === `ok ${ref}\n` || status === `ok ${ref}`) {
    if (unpack.startsWith("unpack ok")) return { ok: true };
    throw bad("the server's push report was contradictory");
  }
  const ng = status.startsWith(`ng ${ref} `)
    ? status.slice(`ng ${ref} `.length).replace(/\n$/, "")
    : null;
  if (ng === null || ng === "") {
    throw bad("the server's push report was malformed");
  }
  const reason = cutRedacted(ng, 197);
  return {
    ok: false,
    reason,
    words: remoteWords(stderr),
    output: porcelain(ref, reason, stderr),
  };
}

/** The rejection as `git push --porcelain` would have printed it. */
function porcelain(ref: string, reason: string, stderr: string): GitOutput {
  const stdout = `!\t${ref}:${ref}\t[remote rejected] (${reason})\nDone\n`;
  return {
    args: ["push", "--porcelain"],
    code: 1,
    stdout,
    stdoutBytes: new TextEncoder().encode(stdout),
    stderr,
    timedOut: false,
    aborted: false,
  };
}

/** A push whose answer was lost: the caller reads the branch back. */
function lost(
  kind: "network" | "timeout" | "unknown",
  step: string,
  why: string,
): TemplateError {
  return new TemplateError(kind, `${step}: ${why}; ${ADVICE[kind]}`);
}

/**
 * Whether `fetch` failed while connecting, before sending anything (Deno
 * names it `client error (Connect)`: refused, unreachable, DNS).
 */
function connectFailed(error: unknown): boolean {
  return error instanceof TypeError &&
    /client error \(Connect\)/.test(`${error.message} ${error.cause}`);
}

function host(origin: string): string {
  return new URL(origin).host;
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
