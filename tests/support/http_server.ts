/**
 * A real smart-HTTP git server for tests and the benchmark: `Deno.serve` on
 * loopback fronting git's own `git http-backend` (CGI), with Basic auth
 * like Gitea (any user, the token as password; 401 with
 * `WWW-Authenticate` otherwise, checked before existence), a text 404 for
 * a missing repo, paths that hang, and a delay on every request.
 *
 * @module
 */

/** How to start the server. */
export interface GitHttpServerOptions {
  /** Directory holding the bare repos (`<root>/owner/name.git`). */
  root: string;
  /** When set, every request needs it as the Basic password. */
  token?: string;
  /** Delay before every response, in milliseconds. */
  delayMs?: number;
  /** Allow partial-clone filters like Gitea does (default true). */
  filters?: boolean;
}

/** One request as the server saw it. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** URL path (no query). */
  path: string;
  /** The Authorization header, or null. */
  authorization: string | null;
}

/** A running server; `await using` closes it. */
export interface GitHttpServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Requests whose path starts with `prefix` never answer (until close). */
  hang(prefix: string): void;
  /** Changes the delay before every response. */
  setDelay(ms: number): void;
  /** Stops the server, releases hung requests, kills CGI children. */
  close(): Promise<void>;
}

/** Starts the server on a free loopback port. */
export async function startGitHttpServer(
  options: GitHttpServerOptions,
): Promise<GitHttpServer> {
  const home = await Deno.makeTempDir({ prefix: "cascade-http-" });
  const hung: string[] = [];
  const requests: RecordedRequest[] = [];
  const children = new Set<Deno.ChildProcess>();
  const closing = new AbortController();
  let delayMs = options.delayMs ?? 0;
  const config: [string, string][] = [["http.receivepack", "true"]];
  if (options.filters !== false) {
    config.push(
      ["uploadpack.allowFilter", "true"],
      ["uploadpack.allowAnySHA1InWant", "true"],
    );
  }
  const configEnv: Record<string, string> = {
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([k, v], i) => {
    configEnv[`GIT_CONFIG_KEY_${i}`] = k;
    configEnv[`GIT_CONFIG_VALUE_${i}`] = v;
  });

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closing.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", done);
        resolve();
      }
      closing.signal.addEventListener("abort", done, { once: true });
    });

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
      await new Promise((resolve) => {
        if (closing.signal.aborted) resolve(null);
        closing.signal.addEventListener("abort", resolve, { once: true });
      });
      return new Response("server closed\n", { status: 503 });
    }
    let user = "anonymous";
    if (options.token !== undefined) {
      const token = /^Basic\s+(\S+)$/i.exec(authorization ?? "")?.[1];
      const decoded = token === undefined ? null : decodeBasic(token);
      const ok = decoded !== null &&
        (decoded.password === options.token ||
          (decoded.user === options.token && decoded.password === ""));
      if (!ok) {
        return new Response("Unauthorized\n", {
          status: 401,
          headers: { "WWW-Authenticate": 'Basic realm="cascade-test"' },
        });
      }
      user = decoded.user || "token";
    }
    const repo = /^(.*?\.git)(\/|$)/.exec(url.pathname)?.[1];
    if (repo === undefined || !await isDir(`${options.root}${repo}`)) {
      return new Response("Repository not found\n", {
        status: 404,
        headers: { "Content-Type": "text/plain" },
      });
    }
    return await cgi(request, url, user);
  };

  const cgi = async (
    request: Request,
    url: URL,
    user: string,
  ): Promise<Response> => {
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      LC_ALL: "C",
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ""),
      REQUEST_METHOD: request.method,
      CONTENT_TYPE: request.headers.get("content-type") ?? "",
      REMOTE_USER: user,
      REMOTE_ADDR: "127.0.0.1",
      ...configEnv,
    };
    const protocol = request.headers.get("git-protocol");
    if (protocol !== null) env["GIT_PROTOCOL"] = protocol;
    const child = new Deno.Command("git", {
      args: ["http-backend"],
      clearEnv: true,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    children.add(child);
    child.status.finally(() => children.delete(child));
    let body = request.body;
    if (body && request.headers.get("content-encoding") === "gzip") {
      body = body.pipeThrough(new DecompressionStream("gzip"));
    }
    const feeding = body
      ? body.pipeTo(child.stdin).catch(() => {})
      : child.stdin.close().catch(() => {});
    const reader = child.stdout.getReader();
    // Read the CGI headers, then stream the rest as the body.
    let buffered: Uint8Array = new Uint8Array(0);
    let headerEnd = -1;
    while (headerEnd < 0) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered = concat(buffered, value);
      headerEnd = findHeaderEnd(buffered);
    }
    if (headerEnd < 0) {
      await feeding;
      await child.status;
      return new Response("CGI produced no headers\n", { status: 502 });
    }
    const headText = new TextDecoder().decode(buffered.subarray(0, headerEnd));
    const rest = buffered.subarray(
      headerEnd + (buffered[headerEnd] === 13 ? 4 : 2),
    );
    const headers = new Headers();
    let status = 200;
    for (const line of headText.split(/\r?\n/)) {
      const m = /^([^:]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      if (m[1]!.toLowerCase() === "status") status = parseInt(m[2]!, 10);
      else headers.append(m[1]!, m[2]!);
    }
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (rest.length > 0) controller.enqueue(rest.slice());
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          await feeding;
          controller.close();
        } else controller.enqueue(value);
      },
      cancel() {
        reader.cancel().catch(() => {});
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      },
    });
    return new Response(stream, { status, headers });
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: closing.signal,
    onListen() {},
  }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}`;

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      closing.abort();
      for (const child of children) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      await server.finished;
      await Promise.all([...children].map((c) => c.status.catch(() => {})));
      await Deno.remove(home, { recursive: true }).catch(() => {});
    })();
    return closed;
  };

  return {
    origin,
    requests,
    hang: (prefix) => void hung.push(prefix),
    setDelay: (ms) => void (delayMs = ms),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function decodeBasic(token: string): { user: string; password: string } | null {
  try {
    const binary = atob(token);
    const text = new TextDecoder().decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
    const colon = text.indexOf(":");
    if (colon < 0) return null;
    return { user: text.slice(0, colon), password: text.slice(colon + 1) };
  } catch {
    return null;
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Index of the blank line ending CGI headers (`\r\n\r\n` or `\n\n`). */
function findHeaderEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i + 1] === 10) return i;
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}
