/**
 * What cascade reports of a template's CI (`push --wait`, `status --ci`):
 * the outcome and the newest status of each counted context, with the
 * server's text kept exact (renderers make it printable). Types only; the
 * meaning of each outcome is in `model.ts` (`CI_STATES`).
 *
 * @module
 */

/**
 * A commit's CI as cascade reports it (`--wait`, `status --ci`).
 * `ambiguous`: statuses or runs were seen that cannot be told to be about
 * cascade's own push or dispatch (see `lib/forge/evidence.ts`), so none
 * of them is believed.
 */
export type CiState = "success" | "failure" | "pending" | "none" | "ambiguous";

/** One CI context's newest status; the server's text, kept exact. */
export interface CiContextResult {
  /** E.g. `publish-image / build (push)`. */
  context: string;
  /** Its newest state (`pending`, `success`, `failure`, ...). */
  state: string;
  /** Link to the run, or null. */
  targetUrl: string | null;
  /** The server's description, e.g. "Failing after 12s". */
  description: string;
}

/** What cascade found of a template's CI. */
export interface CiOutcome {
  /** The outcome; `pending`: not final when the wait ended. */
  state: CiState;
  /** Every counted context, sorted by name. */
  contexts: CiContextResult[];
  /** Target URL of the first failing context, or null. */
  url: string | null;
  /** Time spent waiting, in milliseconds. */
  waitedMs: number;
  /** Why `none`, `ambiguous` or `pending`, or that a newer tip was followed. */
  note?: string;
}

/**
 * The CI a wait had seen when an interrupt stopped it: a final state stays,
 * anything else is `pending`, and the note says the wait was cut short.
 */
export function interruptedWait(
  sofar: Omit<CiOutcome, "waitedMs" | "note">,
  waitedMs: number,
): CiOutcome {
  return {
    ...sofar,
    state: sofar.state === "success" || sofar.state === "failure"
      ? sofar.state
      : "pending",
    waitedMs,
    note: "interrupted while waiting; the CI seen so far",
  };
}
