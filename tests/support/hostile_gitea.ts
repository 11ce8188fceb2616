/**
 * The stand-in Gitea of `gitea_api.ts` behind a hostile middle, for the
 * tests of which CI cascade believes: the middle sees every request first
 * and may answer it itself (forged statuses), or rewrite the stand-in's
 * answer (a foreign run slipped into the runs list).
 *
 * @module
 */

import { GiteaApi, type GiteaServer } from "./gitea_api.ts";
import { startGitHttpServer } from "./http_server.ts";
import type { Clock } from "../../lib/engine/clock.ts";

/**
 * The stand-in Gitea behind a hostile middle: `forge` sees every request
 * first and may answer it (or pass it on with null); `after` may rewrite
 * the stand-in's answer. Its CI runs on `clock` (default: the system's).
 */
export async function hostileGitea(
  root: string,
  token: string,
  version: string,
  forge: (request: Request, api: GiteaApi) => Response | null,
  after: (request: Request, answer: Response) => Promise<Response> = (
    _,
    answer,
  ) => Promise.resolve(answer),
  clock?: Clock,
): Promise<GiteaServer> {
  const api = new GiteaApi({
    root,
    token,
    version,
    ...(clock ? { clock } : {}),
  });
  const git = await startGitHttpServer({
    root,
    token,
    api: async (request) => {
      const forged = forge(request, api);
      if (forged !== null) return forged;
      const answer = await api.handle(request);
      return answer === null ? null : await after(request, answer);
    },
    onPush: (repo) => api.onPush(repo),
  });
  api.origin = git.origin;
  const close = async () => {
    api.close();
    await git.close();
  };
  return { origin: git.origin, api, git, close, [Symbol.asyncDispose]: close };
}

/** A JSON answer. */
export function json(value: unknown): Response {
  return new Response(JSON.stringify(value), {
    headers: { "Content-Type": "application/json" },
  });
}

/**
 * A forged combined status: for whatever commit of `repo` is asked,
 * green, one `context` linking to `targetUrl`, posted (it says) at `at`
 * (default 2020). Null for any other request.
 */
export function backdatedGreen(
  request: Request,
  repo: string,
  context: string,
  targetUrl: string,
  at = "2020-01-01T00:00:00Z",
): Response | null {
  const asked = /\/repos\/([^/]+\/[^/]+)\/commits\/([0-9a-f]{40})\/status$/
    .exec(new URL(request.url).pathname);
  const sha = asked?.[2];
  if (sha === undefined || asked?.[1] !== repo) return null;
  return json({
    state: "success",
    sha,
    total_count: 1,
    statuses: [{
      id: 1,
      status: "success",
      context,
      target_url: targetUrl,
      description: "Successful in 1s",
      created_at: at,
      updated_at: at,
    }],
  });
}
