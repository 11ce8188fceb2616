/**
 * A pull request as a report carries it (`.results[].pr`): what cascade
 * keeps of the pull request that proposes the version to a template.
 *
 * @module
 */

/** A pull request cascade opened (or found open) for a template. */
export interface PullRef {
  /** Its number in the template's repo. */
  number: number;
  /** Its web page, or null when the server sent no usable URL. */
  url: string | null;
  /** cascade's branch, `cascade/<file>`. */
  branch: string;
  /** The commit at its head (cascade's commit). */
  head: string;
}

/** The field of a push or status result that names its pull request. */
export interface WithPullRef {
  /**
   * With `--via pr|auto`: the pull request that proposes the version (in
   * `push`, opened, updated or found; in `status`, cascade's open one of
   * a drifted template).
   */
  pr?: PullRef;
}
