/**
 * What a forge's version string says it can do. Gitea answers
 * `GET /version` with e.g. `1.24.0` (development builds add
 * `+dev-12-gabc`); Forgejo with its own version and the Gitea version it
 * is compatible with, e.g. `8.0.0+gitea-1.22.0`. The workflow dispatch
 * API came with Gitea 1.24 and Forgejo 8; the runs list
 * (`/actions/tasks`) with Gitea 1.23 and Forgejo 8 (in Gitea's shape).
 *
 * @example A Forgejo 8 server can dispatch, Gitea 1.22 cannot
 * ```ts
 * import assert from "node:assert/strict";
 * import { canDispatch, parseServerVersion } from "./server_version.ts";
 *
 * const forgejo = parseServerVersion("8.0.0+gitea-1.22.0");
 * assert.equal(forgejo?.name, "Forgejo");
 * assert.equal(forgejo !== null && canDispatch(forgejo), true);
 * const gitea = parseServerVersion("1.22.6");
 * assert.equal(gitea !== null && canDispatch(gitea), false);
 * ```
 *
 * @module
 */

import {
  beforeDeadline,
  type Deadline,
  DeadlineError,
} from "../engine/deadline.ts";
import type { Limiter } from "../engine/pool.ts";
import { InterruptedError } from "../errors.ts";

/** What the dispatch trigger needs, in the words every refusal uses. */
export const DISPATCH_NEEDS = "Gitea 1.24 or later, or Forgejo 8 or later";

/** A forge and its version, read from `GET /version`. */
export interface ServerVersionInfo {
  /** Which forge. */
  name: "Gitea" | "Forgejo";
  /** Major version (Forgejo: its own, e.g. 8). */
  major: number;
  /** Minor version. */
  minor: number;
  /** The version as the server said it (checked to be printable). */
  text: string;
}

/** A version string safe to print: short, without odd characters. */
const PRINTABLE = /^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,63}$/;

/**
 * Reads a version string; null when it is not one cascade can read (too
 * long, odd characters, no leading `major.minor`).
 */
export function parseServerVersion(text: string): ServerVersionInfo | null {
  if (!PRINTABLE.test(text)) return null;
  const m = /^v?(\d{1,4})\.(\d{1,4})(?:[.+-]|$)/.exec(text);
  if (m === null) return null;
  return {
    name: /\+gitea-\d/.test(text) ? "Forgejo" : "Gitea",
    major: Number(m[1]),
    minor: Number(m[2]),
    text,
  };
}

/** True when the server has the workflow dispatch API. */
export function canDispatch(v: ServerVersionInfo): boolean {
  if (v.name === "Forgejo") return v.major >= 8;
  return v.major > 1 || (v.major === 1 && v.minor >= 24);
}

/**
 * True when the server lists workflow runs at `/actions/tasks` (Gitea
 * 1.23+, Forgejo 8+).
 */
export function hasTasksList(v: ServerVersionInfo): boolean {
  if (v.name === "Forgejo") return v.major >= 8;
  return v.major > 1 || (v.major === 1 && v.minor >= 23);
}

/**
 * True when the server leaves a queued run that a newer push cancelled
 * `pending` for ever (no "Has been cancelled" status): Gitea up to
 * 1.23.5; Forgejo by the Gitea version it says it follows (`+gitea-1.22.0`).
 */
export function keepsSupersededPending(v: ServerVersionInfo): boolean {
  const text = v.name === "Forgejo"
    ? /\+gitea-(\d+\.\d+(?:\.\d+)?)/.exec(v.text)?.[1] ?? ""
    : v.text;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (m === null) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), m[3]];
  if (major !== 1) return major < 1;
  if (minor !== 23) return minor < 23;
  return patch === undefined || Number(patch) <= 5;
}

/** A version string as a refusal shows it: itself if printable. */
export function shownVersion(text: string): string {
  return PRINTABLE.test(text) ? text : "an unreadable version";
}

/** The client call the memo makes: `GET /version`, within a deadline. */
interface VersionReader {
  /** `GET /version`. */
  version(): Promise<{ value: { version: string } }>;
  /** The same client, its requests cut to `deadline`. */
  within(deadline: Deadline): VersionReader;
}

/**
 * Remembers, per API base, whether its server keeps superseded runs
 * pending ({@linkcode keepsSupersededPending}), reading `GET /version`
 * once per server, only when first asked; false when it cannot be read.
 * Asked within a wait, the read is held to the asker's deadline (queue
 * time for a request slot included): cut by it, the asker gets
 * {@linkcode DeadlineError} and nothing is remembered, so a later asker
 * reads again; an asker whose shared read another's deadline cut asks
 * again (at most twice more), each within its own deadline.
 */
export class SupersededMemo {
  readonly #known = new Map<string, Promise<boolean>>();
  readonly #limit: Limiter;

  /** Makes the memo; `limit` bounds the requests in flight. */
  constructor(limit: Limiter) {
    this.#limit = limit;
  }

  /** The answer for `base`, read with `client` within `deadline`. */
  async ask(
    base: string,
    client: VersionReader | undefined,
    deadline?: Deadline,
  ): Promise<boolean> {
    if (client === undefined) return false;
    for (let asked = 0; asked < 3; asked++) {
      let known = this.#known.get(base);
      if (known === undefined) {
        known = this.#read(client, deadline);
        this.#known.set(base, known);
        const read = known;
        read.catch(() => {
          if (this.#known.get(base) === read) this.#known.delete(base);
        });
      }
      try {
        return await beforeDeadline(deadline, () => known);
      } catch (error) {
        const theirs = error instanceof DeadlineError &&
          error.deadline !== deadline;
        if (!theirs) throw error;
      }
    }
    return false;
  }

  /** One read: false when unreadable; a deadline or interrupt rejects. */
  #read(client: VersionReader, deadline: Deadline | undefined) {
    const bound = deadline ? client.within(deadline) : client;
    return this.#limit(() => bound.version(), deadline).then(({ value }) => {
      const info = parseServerVersion(value.version);
      return info !== null && keepsSupersededPending(info);
    }, (error: unknown) => {
      if (error instanceof DeadlineError) throw error;
      if (error instanceof InterruptedError) throw error;
      return false;
    });
  }
}
