/**
 * Before a dispatch run sends anything: every target must be an http(s)
 * repo on a server cascade may connect to (`--allow-net`), with a token
 * (the API refuses a dispatch without one), and every
 * server must have the workflow dispatch API (`GET /version`: Gitea 1.24+,
 * Forgejo 8+). Any of these failing is a usage error (exit 2; a refused
 * token on `/version`, exit 3) raised before the first template starts:
 * nothing is read, nothing dispatched.
 *
 * @module
 */

import type { Plan } from "../../engine/engine.ts";
import { EXIT, InterruptedError, UsageError } from "../../errors.ts";
import {
  type ApiCredentials,
  apiTargetOf,
  type ForgeAccess,
} from "../../forge/access.ts";
import {
  type ForgeClient,
  ForgeError,
  type ForgeRetry,
} from "../../forge/client.ts";
import {
  canDispatch,
  DISPATCH_NEEDS,
  parseServerVersion,
  type ServerVersionInfo,
  shownVersion,
} from "../../forge/server_version.ts";
import type { Target } from "../../targets/target.ts";

/** One template's way to the API. */
export interface DispatchAccess {
  /** A client for its server, carrying the token to its origin only. */
  client: ForgeClient;
  /** Owner in the API. */
  owner: string;
  /** Repo name in the API. */
  repo: string;
  /** What its server said it is. */
  server: ServerVersionInfo;
}

/** What opening the API needs from the run. */
interface AccessDeps {
  /** The run's access to the API (token, origins, `--allow-net`). */
  access: ForgeAccess;
  /** Aborted on interrupt. */
  signal: AbortSignal;
  /** Retries of the clients for 429/5xx (default: the client's). */
  retry?: ForgeRetry | undefined;
}

/**
 * Checks every target and server, then returns each target's API access
 * by target key. Throws {@linkcode UsageError} as the module says.
 */
export async function openDispatchAccess(
  plans: readonly Plan[],
  deps: AccessDeps,
): Promise<Map<string, DispatchAccess>> {
  const located = plans.map(({ target }) => ({ target, ...locate(target) }));
  deps.access.requireNet(
    located.map((l) => l.host),
    ([host]) =>
      `--trigger dispatch calls the API of ${host}: cascade needs --allow-net (or --allow-net=${host}): add it to the deno run command`,
  );
  const credentials = new Map(
    located.map(({ target }) => [
      target.key,
      deps.access.credentials(target),
    ]),
  );
  for (const { target } of located) {
    const missing = credentials.get(target.key)?.missing ?? null;
    if (missing !== null) throw new UsageError(noTokenProblem(target, missing));
  }
  const servers = new Map<string, Promise<ServerVersionInfo>>();
  const access = new Map<string, DispatchAccess>();
  for (const { target, apiBase, owner, repo } of located) {
    const { authorization, allowedOrigins } = credentials.get(
      target.key,
    ) as ApiCredentials;
    const client = deps.access.clientFor(apiBase, {
      authorization,
      allowedOrigins,
    }, { signal: deps.signal, retry: deps.retry });
    if (!servers.has(apiBase)) {
      servers.set(apiBase, checkServer(client, apiBase));
    }
    const server = await servers.get(apiBase) as ServerVersionInfo;
    access.set(target.key, { client, owner, repo, server });
  }
  return access;
}

/** Why a target gets no token for the API (a dispatch needs one). */
function noTokenProblem(target: Target, missing: "none" | "withheld"): string {
  return missing === "withheld"
    ? `${target.repo}: --trigger dispatch needs the token at ${target.origin}, and it goes only to the --base-url server and --token-origin; if the token is for that server, pass --token-origin ${target.origin}`
    : `${target.repo}: --trigger dispatch needs a token that may run the templates' workflows: set CASCADE_TOKEN (or name the variable with --token-env)`;
}

/** The API address of an http(s) target; others are refused. */
function locate(target: Target) {
  const api = target.scheme === "http" && target.origin !== null
    ? apiTargetOf(target, undefined)
    : null;
  if (api === null) {
    throw new UsageError(
      `${target.repo}: --trigger dispatch calls the server's API, so it needs an https:// (or http://) owner/name target, not ${target.scheme}`,
    );
  }
  return {
    apiBase: api.base,
    owner: api.owner,
    repo: api.repo,
    host: new URL(api.base).host,
  };
}

/** Reads the server's version; refuses a server without the API. */
async function checkServer(
  client: ForgeClient,
  apiBase: string,
): Promise<ServerVersionInfo> {
  const server = apiBase.replace(/\/api\/v1$/, "");
  let text: string;
  try {
    text = (await client.version()).value.version;
  } catch (error) {
    if (error instanceof InterruptedError) {
      throw new UsageError("interrupted", EXIT.interrupted);
    }
    if (!(error instanceof ForgeError)) throw error;
    throw new UsageError(
      `${server}: cannot read the server's version, so nothing was dispatched: ${error.message}`,
      error.kind === "auth" ? EXIT.credentials : EXIT.usage,
    );
  }
  const info = parseServerVersion(text);
  if (info === null || !canDispatch(info)) {
    const runs = info === null
      ? `says ${shownVersion(text)}`
      : `runs ${info.name} ${info.text}`;
    throw new UsageError(
      `${server} ${runs}, which has no workflow dispatch API: --trigger dispatch needs ${DISPATCH_NEEDS} (or use --trigger push)`,
    );
  }
  return info;
}
