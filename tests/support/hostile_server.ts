/**
 * A hostile smart-HTTP server for tests: `Deno.serve` on loopback that
 * answers `info/refs` (v0) and `git-upload-pack` (v2) with whatever bytes a
 * test crafts: broken pkt-line lengths, names with control characters, an
 * answer that streams forever or stops mid-body. It records every request
 * and counts the bytes its endless answers produced.
 *
 * ```ts ignore
 * await using server = startHostileServer((request) =>
 *   request.service === "v2" ? crafted(v2Answer([...])) : notFound()
 * );
 * ```
 *
 * @module
 */

import { pktLine } from "./http_server.ts";

/** One request as the server saw it. */
export interface HostileRequest {
  /** `v2` for `POST .../git-upload-pack`, `v0` for `GET .../info/refs`. */
  service: "v0" | "v2" | "other";
  /** URL path, without the query. */
  path: string;
  /** The `Git-Protocol` header, or null. */
  gitProtocol: string | null;
  /** The request body, as text (latin1 for bytes). */
  body: string;
}

/** What a test's answer function returns. */
export type HostileAnswer =
  | {
    kind: "bytes";
    status: number;
    type: string;
    bytes: Uint8Array<ArrayBuffer>;
  }
  /** `chunk` sent again and again, as fast as the client reads. */
  | { kind: "endless"; type: string; chunk: Uint8Array }
  /** `head` then nothing, never ending, until the client goes away. */
  | { kind: "stall"; type: string; head: Uint8Array };

/** A running server; `await using` closes it. */
export interface HostileServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request received, in order of arrival. */
  requests: HostileRequest[];
  /** Bytes the endless and stalled answers have handed to the connection. */
  streamed(): number;
  /** How many endless or stalled answers the client cancelled. */
  cancelled(): number;
  /** Ends every answer and shuts the server down. */
  close(): Promise<void>;
}

/** The v2 result content type. */
export const RESULT = "application/x-git-upload-pack-result";
/** The v0 advertisement content type. */
export const ADVERTISEMENT = "application/x-git-upload-pack-advertisement";

const encoder = new TextEncoder();

/** A 200 answer of `type` holding exactly `bytes` (or text). */
export function crafted(
  type: string,
  bytes: Uint8Array<ArrayBuffer> | string,
  status = 200,
): HostileAnswer {
  return {
    kind: "bytes",
    status,
    type,
    bytes: typeof bytes === "string" ? encoder.encode(bytes) : bytes,
  };
}

/** A v2 `ls-refs` result: the lines as pkt-lines, then a flush. */
export function v2Answer(lines: string[]): HostileAnswer {
  return crafted(RESULT, `${lines.map((l) => pktLine(`${l}\n`)).join("")}0000`);
}

/** A v0 advertisement: service line, flush, the lines, flush. */
export function v0Answer(lines: string[]): HostileAnswer {
  return crafted(
    ADVERTISEMENT,
    `${pktLine("# service=git-upload-pack\n")}0000${
      lines.map((l) => pktLine(`${l}\n`)).join("")
    }0000`,
  );
}

/** A plain 404, as a server without that route answers. */
export function notFound(): HostileAnswer {
  return crafted("text/plain", "Not found\n", 404);
}

/** Starts the server on a free loopback port. */
export function startHostileServer(
  answer: (request: HostileRequest) => HostileAnswer,
): HostileServer {
  const requests: HostileRequest[] = [];
  const closing = new AbortController();
  let streamed = 0;
  let cancelled = 0;

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const service = request.method === "POST" &&
        url.pathname.endsWith("/git-upload-pack")
      ? "v2"
      : request.method === "GET" && url.pathname.endsWith("/info/refs")
      ? "v0"
      : "other";
    const body = new Uint8Array(await request.arrayBuffer());
    const seen: HostileRequest = {
      service,
      path: url.pathname,
      gitProtocol: request.headers.get("git-protocol"),
      body: String.fromCharCode(...body),
    };
    requests.push(seen);
    const a = answer(seen);
    if (a.kind === "bytes") {
      return new Response(a.bytes, {
        status: a.status,
        headers: { "Content-Type": a.type },
      });
    }
    let sentHead = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (closing.signal.aborted) return controller.close();
        if (a.kind === "endless") {
          streamed += a.chunk.length;
          return controller.enqueue(a.chunk);
        }
        if (!sentHead) {
          sentHead = true;
          streamed += a.head.length;
          return controller.enqueue(a.head);
        }
        await new Promise((resolve) =>
          closing.signal.addEventListener("abort", resolve, { once: true })
        );
        controller.close();
      },
      cancel() {
        cancelled++;
      },
    }, { highWaterMark: 0 });
    return new Response(stream, { headers: { "Content-Type": a.type } });
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: closing.signal,
    onListen() {},
  }, handler);
  let done: Promise<void> | null = null;
  const close = () =>
    done ??= (async () => {
      closing.abort();
      await server.finished;
    })();
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    requests,
    streamed: () => streamed,
    cancelled: () => cancelled,
    close,
    [Symbol.asyncDispose]: close,
  };
}
