/**
 * A real smart-HTTP git server for tests and the benchmark, served the way
 * Gitea serves it: `Deno.serve` on loopback checks Basic auth like Gitea
 * (any user name with the token as password, or the token as user name
 * with an empty password; 401 with `WWW-Authenticate` otherwise, checked
 * before existence), answers a text 404 for a missing repo, and runs git's
 * own `git upload-pack` / `git receive-pack --stateless-rpc` for the four
 * smart-HTTP routes, adding the pkt-line service header to a protocol v0
 * advertisement. Paths can be made to hang, and every response can be
 * delayed.
 *
 * The services are started directly (one process per request, as Gitea
 * does), not through the `git http-backend` CGI (three processes), and
 * without a process group of their own, which would make Deno fork itself
 * for every request: a stand-in for a remote server should not cost more CPU
 * on the measured machine than the client it serves. Dumb HTTP is not
 * served.
 *
 * ```ts ignore
 * await using server = await startGitHttpServer({ root, token: "t0ken" });
 * // git ls-remote ${server.origin}/owner/name.git
 * ```
 *
 * @module
 */

/** How to start the server. */
export interface GitHttpServerOptions {
  /** Directory holding the bare repos (`<root>/owner/name.git`). */
  root: string;
  /** When set, every request needs it (Basic auth, see the module doc). */
  token?: string;
  /** Delay before every response, in milliseconds (default 0). */
  delayMs?: number;
  /** Allow partial-clone filters like Gitea does (default true). */
  filters?: boolean;
  /** Consulted first for every request; null falls through to git. */
  api?: (request: Request) => Promise<Response | null> | Response | null;
  /**
   * Called with the repo directory after a successful push, and awaited
   * before the push's answer ends (as Gitea's post-receive hook runs before
   * git's answer ends): a client that read the answer finds what it did.
   */
  onPush?: (repoPath: string) => void | Promise<void>;
}

/** One request as the server saw it. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** URL path, without the query. */
  path: string;
  /** The `Authorization` header, or null. */
  authorization: string | null;
}

/** A running server; `await using` closes it. */
export interface GitHttpServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request received, in order of arrival. */
  requests: RecordedRequest[];
  /** Requests whose path starts with `pathPrefix` never answer until close. */
  hang(pathPrefix: string): void;
  /** Changes the delay before every response, in milliseconds. */
  setDelay(ms: number): void;
  /**
   * Aborts hung and delayed requests, kills running git services, shuts the
   * server down and removes its temp dir. Safe to call more than once.
   */
  close(): Promise<void>;
}

/** What follows a repo's directory in a smart-HTTP URL path. */
const GIT_ROUTE = /\/(?:info\/refs|git-upload-pack|git-receive-pack)$/;

/** A git service and whether the request is its ref advertisement. */
interface Route {
  service: "upload-pack" | "receive-pack";
  advertise: boolean;
}

/** Starts the server on a free loopback port. */
export async function startGitHttpServer(
  options: GitHttpServerOptions,
): Promise<GitHttpServer> {
  const home = await Deno.makeTempDir({ prefix: "cascade-http-" });
  const baseEnv = serviceEnv(options, home);
  const hung: string[] = [];
  const requests: RecordedRequest[] = [];
  const children = new Set<Deno.ChildProcess>();
  const closing = new AbortController();
  let delayMs = options.delayMs ?? 0;

  /** Resolves after `ms` (never for Infinity), or at once on close. */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closing.signal.aborted) return resolve();
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      closing.signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", done);
        resolve();
      }
    });
  // Not `request.signal`: Deno aborts it after every successful response
  // too, and warns about that legacy behaviour when anyone listens.
  const closed = () => new Response("Server closed\n", { status: 503 });

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const answer = await options.api?.(request);
    if (answer) return answer;
    const authorization = request.headers.get("authorization");
    requests.push({
      method: request.method,
      path: url.pathname,
      authorization,
    });
    await wait(delayMs);
    if (hung.some((prefix) => url.pathname.startsWith(prefix))) {
      await wait(Infinity);
    }
    if (closing.signal.aborted) return closed();
    const user = options.token === undefined
      ? "anonymous"
      : authenticate(authorization, options.token);
    if (user === null) {
      return new Response("Unauthorized\n", {
        status: 401,
        headers: {
          "Content-Type": "text/plain",
          "WWW-Authenticate": 'Basic realm="cascade-test"',
        },
      });
    }
    const repo = repoDir(options.root, url.pathname);
    if (repo === null || !await isDir(repo)) {
      return new Response("Repository not found\n", {
        status: 404,
        headers: { "Content-Type": "text/plain" },
      });
    }
    const route = smartRoute(request.method, url);
    if (route === null) {
      return new Response("Only smart HTTP is served\n", {
        status: 404,
        headers: { "Content-Type": "text/plain" },
      });
    }
    if (closing.signal.aborted) return closed();
    return serve(request, repo, route, user);
  };

  const serve = (
    request: Request,
    repo: string,
    route: Route,
    user: string,
  ): Response => {
    const env: Record<string, string> = {
      ...baseEnv,
      // What http-backend sets for a push: the pusher as committer.
      GIT_COMMITTER_NAME: user,
      GIT_COMMITTER_EMAIL: `${user}@127.0.0.1`,
    };
    const protocol = request.headers.get("git-protocol");
    if (protocol !== null) env["GIT_PROTOCOL"] = protocol;
    const child = new Deno.Command("git", {
      args: [
        route.service,
        "--stateless-rpc",
        ...(route.advertise ? ["--advertise-refs"] : []),
        repo,
      ],
      clearEnv: true,
      env,
      stdin: route.advertise ? "null" : "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    children.add(child);
    child.status.finally(() => children.delete(child));
    const pushed = route.service === "receive-pack" && !route.advertise;

    // Errors here mean git or the client went away; git's output says why.
    // Once git's output ends, stop feeding it: a client that never finishes
    // its body would otherwise keep the pipe, and close(), waiting forever.
    const feed = new AbortController();
    let feeding: Promise<void> = Promise.resolve();
    if (!route.advertise) {
      let body = request.body;
      if (body !== null && request.headers.get("content-encoding") === "gzip") {
        body = body.pipeThrough(new DecompressionStream("gzip"));
      }
      feeding = body === null
        ? child.stdin.close().catch(() => {})
        : body.pipeTo(child.stdin, { signal: feed.signal }).catch(() => {});
    }
    const stopFeeding = () => {
      feed.abort();
      return feeding;
    };

    // A v0 advertisement starts with the service line and a flush; a v2
    // one (capabilities) does not.
    const head = route.advertise && !/version=2/.test(protocol ?? "")
      ? new TextEncoder().encode(
        `${pktLine(`# service=git-${route.service}\n`)}0000`,
      )
      : null;
    const reader = child.stdout.getReader();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (head !== null) controller.enqueue(head);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        await stopFeeding();
        if (pushed && (await child.status).success) {
          // A hook that throws is the stand-in's own fault: reported as
          // uncaught (failing the test), and the answer still ends.
          await Promise.try(() => options.onPush?.(repo)).catch(reportError);
        }
        controller.close();
      },
      async cancel() {
        kill(child);
        await reader.cancel().catch(() => {});
        await stopFeeding();
      },
    }, { highWaterMark: 0 });
    const kind = route.advertise ? "advertisement" : "result";
    return new Response(stream, {
      headers: {
        "Content-Type": `application/x-git-${route.service}-${kind}`,
        "Cache-Control": "no-cache, max-age=0, must-revalidate",
      },
    });
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: closing.signal,
    onListen() {},
  }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}`;

  let closingDone: Promise<void> | null = null;
  const close = () =>
    closingDone ??= (async () => {
      closing.abort();
      for (const child of children) kill(child);
      try {
        await server.finished;
        await Promise.all([...children].map((c) => c.status));
      } finally {
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    })();

  return {
    origin,
    requests,
    hang: (pathPrefix) => void hung.push(pathPrefix),
    setDelay: (ms) => void (delayMs = ms),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The environment every service process gets: hermetic git. */
function serviceEnv(
  options: GitHttpServerOptions,
  home: string,
): Record<string, string> {
  const config: [string, string][] = [];
  if (options.filters !== false) {
    config.push(
      ["uploadpack.allowFilter", "true"],
      ["uploadpack.allowAnySHA1InWant", "true"],
    );
  }
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    LC_ALL: "C",
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * The user name for `REMOTE_USER` when the Basic credentials carry the
 * token (as password, or as user name with an empty password); else null.
 */
function authenticate(header: string | null, token: string): string | null {
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (encoded === undefined) return null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  const user = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (password === token) return user || "token";
  if (user === token && password === "") return "token";
  return null;
}

/** The repo directory a git URL path names, or null if it names none. */
function repoDir(root: string, pathname: string): string | null {
  const path = decodePath(pathname).replace(GIT_ROUTE, "");
  if (path === decodePath(pathname) || path.split("/").includes("..")) {
    return null;
  }
  return `${root.replace(/\/+$/, "")}${path}`;
}

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Kills a service process. Its own children (`pack-objects`, `index-pack`)
 * end when the pipes to it close.
 */
function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* already exited */ }
}

/** One git pkt-line: four hex digits of length, then the payload. */
export function pktLine(payload: string): string {
  const length = new TextEncoder().encode(payload).length + 4;
  return `${length.toString(16).padStart(4, "0")}${payload}`;
}

/** The service a smart-HTTP request names, or null for any other route. */
function smartRoute(method: string, url: URL): Route | null {
  const path = url.pathname;
  if (method === "GET" && path.endsWith("/info/refs")) {
    const service = url.searchParams.get("service");
    if (service === "git-upload-pack") {
      return { service: "upload-pack", advertise: true };
    }
    if (service === "git-receive-pack") {
      return { service: "receive-pack", advertise: true };
    }
    return null;
  }
  if (method !== "POST") return null;
  if (path.endsWith("/git-upload-pack")) {
    return { service: "upload-pack", advertise: false };
  }
  if (path.endsWith("/git-receive-pack")) {
    return { service: "receive-pack", advertise: false };
  }
  return null;
}
