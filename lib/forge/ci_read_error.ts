/**
 * What a CI read that failed tells the report: a template whose API is
 * unknown, a refusal (`error`, with the flag that set the URL) or a read
 * that may succeed later (`pending`).
 *
 * @module
 */

import { ADVICE } from "../errors.ts";
import type { CiOutcome } from "../model.ts";
import type { Target } from "../targets/target.ts";
import { ForgeError } from "./client.ts";

/** The outcome for a template whose API is unknown. */
export function unreachable(target: Target): CiOutcome {
  return {
    state: "none",
    contexts: [],
    url: null,
    waitedMs: 0,
    note:
      `${target.repo} is not an http(s) target: its API is unknown; pass --api-url`,
  };
}

/**
 * An API failure. A refusal (a 3xx or 4xx but 408 and 429) is an `error`:
 * asking again gets the same answer, and the advice names the flag that
 * set the URL (`--api-url`, else `--base-url`). Anything else (no answer,
 * 5xx) leaves the CI `pending`, not known to be final, with the reason.
 */
export function failedRead(
  target: Target,
  error: unknown,
  waitedMs: number,
  sofar: Pick<CiOutcome, "state" | "contexts" | "url">,
  apiUrl: string | undefined,
): CiOutcome {
  if (error instanceof ForgeError && isRefusal(error.status)) {
    return {
      state: sofar.state === "failure" ? "failure" : "error",
      contexts: sofar.contexts,
      url: sofar.url,
      waitedMs,
      note: `${target.repo}: the forge API refused to read the CI (${
        refusalWords(error, apiUrl)
      })`,
    };
  }
  const why = error instanceof ForgeError
    ? `${error.kind}: ${error.message}`
    : error instanceof Error
    ? error.message.split("\n")[0]
    : String(error);
  return {
    state: sofar.state === "failure" ? "failure" : "pending",
    contexts: sofar.contexts,
    url: sofar.url,
    waitedMs,
    note: `${target.repo}: could not read the CI over the API (${why})`,
  };
}

/** A status that asking again will not change: 3xx, 4xx but 408 and 429. */
function isRefusal(status: number | null): boolean {
  return status !== null && status >= 300 && status < 500 &&
    status !== 408 && status !== 429;
}

/** What the server said, with advice naming the flag that set the URL. */
function refusalWords(error: ForgeError, apiUrl: string | undefined): string {
  const advice = ADVICE[error.kind as keyof typeof ADVICE];
  const head = advice !== undefined && error.message.endsWith(`; ${advice}`)
    ? error.message.slice(0, -(advice.length + 2))
    : error.message;
  if (error.status === 401 || error.status === 403) {
    const where = apiUrl === undefined
      ? ""
      : `, and that --api-url (${apiUrl}) is the API's root`;
    return `${head}; ${ADVICE.auth.replace("write to", "read")}${where}`;
  }
  const flag = apiUrl !== undefined
    ? `--api-url (${apiUrl}): it should be the API's root, e.g. https://git.example.com/api/v1`
    : "--base-url (the API is read at its /api/v1) and the repo name";
  return `${head}; check ${flag}, and that the token may read the repo`;
}
