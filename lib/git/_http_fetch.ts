/**
 * Fetching one tip over smart HTTP without starting `git fetch`: one
 * protocol v2 `fetch` request (`POST <url>/git-upload-pack` with
 * `Git-Protocol: version=2`) that wants the tip by id at depth 1, with the
 * filter `git fetch` would send (the trees down to the file's level and
 * small blobs). A pack of up to 1 MiB is read in-process
 * (`_pack_read.ts`) and kept on the context (`ctx.fetched`) until git must
 * read the work repo (`handOver`); a larger one, or one the reader refuses,
 * goes to `git index-pack --stdin --promisor` at once. `git fetch` first
 * asks for the server's capabilities (a GET of `info/refs`) and starts its
 * transport helper and `fetch-pack`; this is one request and no git
 * process, or one.
 *
 * A filter is sent without knowing the server allows it (that is what the
 * capability GET would tell): git's upload-pack refuses an unexpected
 * `filter` line with an empty answer. The first fetch of an origin in a
 * run is its probe: the other templates of that origin wait for it, then
 * send the filter only if it was taken. A refused probe is asked once
 * more without it. So a server without filters costs one request more per
 * run, not per template.
 *
 * Used only where the in-process ref read is (`ctx.httpRefs`) and the
 * origin spoke protocol v2 to it, for SHA-1 tips. Anything else, and any
 * answer that is not a complete v2 fetch answer (an HTTP error, a
 * redirect, a refused request, a pack git does not take, an answer over
 * {@linkcode MAX_PACK_BYTES}), returns null: the caller runs `git fetch`,
 * whose failure the one classifier names; but a 429 fails the fetch as
 * `rate-limited` (git would be refused the same). The timeout stops the request
 * (kind `timeout`), the run's abort signal stops it at once
 * ({@linkcode InterruptedError}), body included.
 *
 * @module
 */

import { deadline } from "./_deadline.ts";
import {
  type Fetched,
  indexPack,
  type RemoteContext,
  stepFailure,
} from "./context.ts";
import { readPack } from "./_pack_read.ts";
import { fetchRequest, readFetchAnswer } from "./_pack.ts";
import { readCapped } from "../read_capped.ts";
import { InterruptedError, TemplateError } from "../errors.ts";
import { refuseRateLimit } from "./_rate_limited.ts";

/**
 * The most bytes of one fetch answer held (64 MiB: a tiny template's
 * filtered tip is a few KiB). Beyond it the read stops and git fetches.
 */
const MAX_PACK_BYTES: number = 64 * 1024 * 1024;

const RESULT = "application/x-git-upload-pack-result";

/** The largest pack read in-process (1 MiB); a larger one goes to git. */
const HELD_PACK_BYTES = 1024 * 1024;
/** The most object bytes a pack read in-process may hold (4 MiB). */
const HELD_OBJECT_BYTES = 4 * 1024 * 1024;

/** One fetch's end: the pack and shallow lines, or why there is none. */
type Answer =
  | { ok: true; pack: Uint8Array; shallow: string[] }
  | { ok: false; refused: boolean };

/**
 * Fetches `tip` at depth 1 with the trees down to `depth` levels into
 * `ctx.gitDir`, as described in the module doc, holding at most `maxBytes`
 * of the answer. Returns the tip, or null when git should fetch instead.
 */
export async function fetchOverHttp(
  ctx: RemoteContext,
  tip: string,
  branch: string,
  depth: number,
  maxBytes: number = MAX_PACK_BYTES,
): Promise<string | null> {
  const refs = ctx.httpRefs;
  if (!refs || !/^[0-9a-f]{40}$/.test(tip)) return null;
  const origin = new URL(refs.url).origin;
  const run = refs.run;
  if (run.gitOnly.has(origin) || run.v0Only.has(origin)) return null;
  const filter = `combine:tree:${Math.min(depth, 8) + 1}+blob:limit=16k`;
  const step = `fetching ${branch}`;
  using limit = deadline(ctx.timeoutMs, ctx.signal);
  const abort = limit.signal;
  const ask = async (withFilter: boolean): Promise<Answer> => {
    try {
      return await request(
        ctx,
        tip,
        withFilter ? filter : null,
        abort,
        maxBytes,
        step,
      );
    } catch (error) {
      if (ctx.signal?.aborted) throw new InterruptedError();
      if (limit.timedOut) throw stepFailure("timeout", step);
      if (error instanceof TemplateError) throw error;
      if (!(error instanceof Deno.errors.NotCapable)) run.gitOnly.add(origin);
      return { ok: false, refused: false };
    }
  };
  let answer: Answer;
  const known = run.filters.get(origin);
  if (known !== undefined) {
    answer = await ask(await known);
  } else {
    // This fetch is the origin's probe: settled on every path, so the
    // fetches waiting for it never wait longer than it runs.
    let settle = (_taken: boolean) => {};
    run.filters.set(origin, new Promise((resolve) => settle = resolve));
    let taken: boolean | null = null;
    try {
      answer = await ask(true);
      if (answer.ok) taken = true;
      else if (answer.refused) {
        answer = await ask(false);
        if (answer.ok) taken = false;
      }
    } finally {
      if (taken === null) run.filters.delete(origin);
      settle(taken ?? true);
    }
  }
  if (!answer.ok) return null;
  // A small pack is read here, and given to git only if git must read
  // the work repo (see `handOver`): a template whose files are all in it
  // costs no git process at all.
  const objects = answer.pack.length <= HELD_PACK_BYTES
    ? readPack(answer.pack, HELD_OBJECT_BYTES)
    : null;
  if (objects?.get(tip)?.type === "commit") {
    const held: Fetched = ctx.fetched ?? { objects: new Map(), pending: [] };
    for (const [oid, object] of objects) held.objects.set(oid, object);
    held.pending.push({ pack: answer.pack, shallow: answer.shallow });
    ctx.fetched = held;
    return tip;
  }
  return await indexPack(ctx, answer) ? tip : null;
}

/** Sends one v2 fetch request and reads its answer (see {@linkcode Answer}). */
async function request(
  ctx: RemoteContext,
  tip: string,
  filter: string | null,
  abort: AbortSignal,
  maxBytes: number,
  step: string,
): Promise<Answer> {
  const refs = ctx.httpRefs;
  if (!refs) return { ok: false, refused: false };
  const headers: Record<string, string> = {
    "Git-Protocol": "version=2",
    "Content-Type": "application/x-git-upload-pack-request",
    Accept: RESULT,
  };
  if (refs.authorization !== null) {
    headers["Authorization"] = refs.authorization;
  }
  const response = await fetch(
    `${refs.url.replace(/\/+$/, "")}/git-upload-pack`,
    {
      method: "POST",
      headers,
      body: fetchRequest(tip, filter),
      redirect: "manual",
      signal: abort,
    },
  );
  await refuseRateLimit(response, step, refs.url);
  const type = response.headers.get("content-type")?.split(";")[0]?.trim();
  if (response.status !== 200 || type !== RESULT || !response.body) {
    await response.body?.cancel().catch(() => {});
    return { ok: false, refused: false };
  }
  const bytes = await readCapped(response.body, maxBytes, abort);
  if (bytes === "too-large") return { ok: false, refused: false };
  const read = readFetchAnswer(bytes);
  // An empty or ERR answer to a filtered request: the filter was refused.
  if (read === null) return { ok: false, refused: filter !== null };
  return { ok: true, ...read };
}
