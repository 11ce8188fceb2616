/**
 * A real smart-HTTP git server for tests and the benchmark: `Deno.serve` on
 * loopback fronting git's own `git http-backend` (CGI), with Basic auth
 * like Gitea (any user name with the token as password, or the token as
 * user name with an empty password; 401 with `WWW-Authenticate` otherwise,
 * checked before existence), a text 404 for a missing repo, paths that
 * hang, and a delay before every response.
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
   * Aborts hung and delayed requests, kills running CGI children, shuts the
   * server down and removes its temp dir. Safe to call more than once.
   */
  close(): Promise<void>;
}

/** What follows a repo's directory in a git URL path, smart or dumb. */
const GIT_ROUTE =
  /\/(?:info\/refs|git-upload-pack|git-receive-pack|HEAD|info\/[^/]+|objects\/.+)$/;

/** Statuses whose response must not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** Starts the server on a free loopback port. */
export async function startGitHttpServer(
  options: GitHttpServerOptions,
): Promise<GitHttpServer> {
  const home = await Deno.makeTempDir({ prefix: "cascade-http-" });
  const baseEnv = backendEnv(options, home);
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
    if (closing.signal.aborted) return closed();
    return await cgi(request, url, user);
  };

  const cgi = async (
    request: Request,
    url: URL,
    user: string,
  ): Promise<Response> => {
    const gzip = request.headers.get("content-encoding") === "gzip";
    const length = request.headers.get("content-length");
    const env: Record<string, string> = {
      ...baseEnv,
      PATH_INFO: decodePath(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: request.method,
      CONTENT_TYPE: request.headers.get("content-type") ?? "",
      REMOTE_USER: user,
      REMOTE_ADDR: "127.0.0.1",
    };
    // After decompression the length is unknown: http-backend then reads
    // to end of input.
    if (length !== null && !gzip) env["CONTENT_LENGTH"] = length;
    const protocol = request.headers.get("git-protocol");
    if (protocol !== null) env["GIT_PROTOCOL"] = protocol;
    const child = new Deno.Command("git", {
      args: ["http-backend"],
      clearEnv: true,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      // Its own process group: `git http-backend` runs `git-http-backend`
      // as a child, which outlives a killed `git` unless the group dies.
      detached: true,
    }).spawn();
    children.add(child);
    child.status.finally(() => children.delete(child));

    let body = request.body;
    if (body !== null && gzip) {
      body = body.pipeThrough(new DecompressionStream("gzip"));
    }
    // Errors here mean git or the client went away; git's output says why.
    // Once git's output ends, stop feeding it: a client that never finishes
    // its body would otherwise keep the pipe, and close(), waiting forever.
    const feed = new AbortController();
    const feeding = body === null
      ? child.stdin.close().catch(() => {})
      : body.pipeTo(child.stdin, { signal: feed.signal }).catch(() => {});
    const stopFeeding = () => {
      feed.abort();
      return feeding;
    };

    const reader = child.stdout.getReader();
    const head = await readCgiHead(reader);
    if (head === null) {
      await stopFeeding();
      await child.status;
      return new Response("CGI produced no headers\n", { status: 502 });
    }
    if (NULL_BODY.has(head.status)) {
      await reader.cancel().catch(() => {});
      await stopFeeding();
      return new Response(null, { status: head.status, headers: head.headers });
    }
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (head.rest.length > 0) controller.enqueue(head.rest);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        await stopFeeding();
        controller.close();
      },
      async cancel() {
        kill(child);
        await reader.cancel().catch(() => {});
        await stopFeeding();
      },
    }, { highWaterMark: 0 });
    return new Response(stream, { status: head.status, headers: head.headers });
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

/** The environment every `git http-backend` gets, before per-request CGI. */
function backendEnv(
  options: GitHttpServerOptions,
  home: string,
): Record<string, string> {
  const config: [string, string][] = [["http.receivepack", "true"]];
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
    GIT_PROJECT_ROOT: options.root,
    GIT_HTTP_EXPORT_ALL: "1",
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

/** Kills a CGI child's whole process group (see `detached` above). */
function kill(child: Deno.ChildProcess): void {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }
}

/** A parsed CGI response head and the body bytes read past it. */
interface CgiHead {
  status: number;
  headers: Headers;
  rest: Uint8Array;
}

/**
 * Reads CGI headers (`Status:` and the rest, ended by a blank line, CRLF
 * or LF) from the child's stdout; null when it ends first.
 */
async function readCgiHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<CgiHead | null> {
  let buffered = new Uint8Array(0);
  while (true) {
    const end = findBlankLine(buffered);
    if (end !== null) {
      const text = new TextDecoder().decode(buffered.subarray(0, end.at));
      const headers = new Headers();
      let status = 200;
      for (const line of text.split(/\r?\n/)) {
        const m = /^([^:\s]+):\s*(.*?)\s*$/.exec(line);
        if (m === null) continue;
        const [, name = "", value = ""] = m;
        if (name.toLowerCase() === "status") {
          status = Number.parseInt(value, 10) || 500;
        } else headers.append(name, value);
      }
      return { status, headers, rest: buffered.slice(end.at + end.length) };
    }
    const { done, value } = await reader.read();
    if (done) return null;
    const joined = new Uint8Array(buffered.length + value.length);
    joined.set(buffered);
    joined.set(value, buffered.length);
    buffered = joined;
  }
}

/** Where the first blank line (`\r\n\r\n` or `\n\n`) starts, and its size. */
function findBlankLine(
  bytes: Uint8Array,
): { at: number; length: number } | null {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return { at: i, length: 2 };
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) {
      return bytes[i - 1] === 13
        ? { at: i - 1, length: 4 }
        : { at: i, length: 3 };
    }
  }
  return null;
}
