/**
 * Why a template failed: the error kinds, stable names that reports,
 * annotations and tooling use (see the README's table), and a failure's
 * kind with its one-line message. Re-exported by `model.ts`.
 *
 * @module
 */

/** Why a template failed; stable names used in reports and by tooling. */
export type ErrorKind =
  | "auth"
  | "not_found"
  | "network"
  | "timeout"
  | "conflict"
  | "rejected"
  | "invalid"
  | "moved"
  | "refused"
  | "dispatch-refused"
  | "rate-limited"
  | "unknown";

/** A failure's kind and one-line message. */
export interface ReportError {
  /** The error class; see the README. */
  kind: ErrorKind;
  /** Names the template, what broke and what to do. */
  message: string;
}
