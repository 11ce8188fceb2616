/**
 * Before a run that may propose (`--via pr|auto`) sends anything: every
 * target must be an http(s) repo on a server cascade may connect to
 * (`--allow-net`), with a token for its origin, and every server must
 * answer Gitea's API (`GET /version`). A plain git host has no pulls API:
 * that, or any of these failing, is a usage error (exit 2; a refused
 * token, exit 3) raised before the first template starts: nothing is read,
 * nothing pushed.
 *
 * @module
 */

import type { Plan } from "../../engine/engine.ts";
import { EXIT, InterruptedError, UsageError } from "../../errors.ts";
import { apiTargetOf, type ForgeAccess } from "../../forge/access.ts";
import { type ForgeClient, ForgeError } from "../../forge/client.ts";
import { PullsApi } from "../../forge/pulls.ts";
import type { Target } from "../../targets/target.ts";

/** One template's way to the pulls API. */
export interface ProposeAccess {
  /** The pulls API of its server, the token going to its origin only. */
  api: PullsApi;
  /** Owner in the API. */
  owner: string;
  /** Repo name in the API. */
  repo: string;
}

/** What opening the API needs from the run. */
export interface ProposeAccessDeps {
  /** The run's access to the API (token, origins, `--allow-net`). */
  access: ForgeAccess;
  /** Aborted on interrupt. */
  signal: AbortSignal;
  /** Per request, in milliseconds. */
  timeoutMs: number;
}

/**
 * Checks every target and server, then returns each target's access by
 * target key. Throws {@linkcode UsageError} as the module says.
 */
export async function openProposeAccess(
  plans: readonly Plan[],
  via: string,
  deps: ProposeAccessDeps,
): Promise<Map<string, ProposeAccess>> {
  const flag = `--via ${via}`;
  const access = new Map<string, ProposeAccess>();
  const servers = new Map<string, Promise<void>>();
  for (const { target } of plans) {
    const api = target.scheme === "http" && target.origin !== null
      ? apiTargetOf(target, undefined)
      : null;
    if (api === null) {
      throw new UsageError(
        `${target.repo}: ${flag} opens pull requests through the server's API, so it needs an https:// (or http://) owner/name target, not ${target.scheme}; use --via push for it`,
      );
    }
    const host = new URL(api.base).host;
    deps.access.requireNet(
      [host],
      () =>
        `${flag} calls the API of ${host}: cascade needs --allow-net (or --allow-net=${host}): add it to the deno run command`,
    );
    const credentials = deps.access.credentials(target);
    if (credentials.missing !== null) {
      throw new UsageError(noToken(target, flag, credentials.missing));
    }
    const { authorization, allowedOrigins } = credentials;
    if (!servers.has(api.base)) {
      const client = deps.access.clientFor(api.base, {
        authorization,
        allowedOrigins,
      }, { signal: deps.signal });
      servers.set(api.base, checkServer(client, api.base, flag));
    }
    await servers.get(api.base);
    access.set(target.key, {
      api: new PullsApi({
        apiBase: api.base,
        authorization,
        allowedOrigins,
        timeoutMs: deps.timeoutMs,
        signal: deps.signal,
        renames: deps.access.renames,
      }),
      owner: api.owner,
      repo: api.repo,
    });
  }
  return access;
}

function noToken(
  target: Target,
  flag: string,
  missing: "none" | "withheld",
): string {
  return missing === "withheld"
    ? `${target.repo}: ${flag} needs the token at ${target.origin}, and it goes only to the --base-url server and --token-origin; if the token is for that server, pass --token-origin ${target.origin}`
    : `${target.repo}: ${flag} needs a token that may open pull requests: set CASCADE_TOKEN (or name the variable with --token-env)`;
}

/** Refuses a server whose API does not answer as Gitea's does. */
async function checkServer(
  client: ForgeClient,
  apiBase: string,
  flag: string,
): Promise<void> {
  const server = apiBase.replace(/\/api\/v1$/, "");
  try {
    await client.version();
  } catch (error) {
    if (error instanceof InterruptedError) {
      throw new UsageError("interrupted", EXIT.interrupted);
    }
    if (!(error instanceof ForgeError)) throw error;
    throw new UsageError(
      `${server}: no Gitea API answered, so nothing was pushed: ${flag} needs a Gitea or Forgejo server with the pull request API (${error.message}); on a plain git host use --via push`,
      error.kind === "auth" ? EXIT.credentials : EXIT.usage,
    );
  }
}
