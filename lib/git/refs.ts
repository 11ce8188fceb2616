/**
 * What a server says about its refs, and which ref names cascade accepts:
 * git's own `check-ref-format` rules, so a name a server advertises is used
 * only when git itself could have made it.
 *
 * @module
 */

import { TemplateError } from "../errors.ts";
import { forLog } from "../console/neutralise.ts";

/** What `ls-remote --symref` said: the default branch and branch tips. */
export interface RemoteHead {
  /** Branch HEAD points at (short name), or null when HEAD is detached. */
  defaultBranch: string | null;
  /** Tips by short branch name. */
  tips: Map<string, string>;
}

/**
 * Why `name` is not a well-formed ref name by `git check-ref-format
 * --allow-onelevel` (`HEAD` and `refs/heads/main` both pass), or null when
 * it is one. The rules: no component is empty (no leading, trailing or
 * doubled `/`), starts with `.` or ends with `.lock`; no `..`, no `@{`, no
 * ASCII control character, space, DEL or any of `~^:?*[\`; the name is not
 * `@` and does not end with `.`.
 */
function refNameProblem(name: string): string | null {
  if (name === "") return "the name is empty";
  if (name === "@") return "the name is '@'";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) {
    return "the name contains a control character";
  }
  const bad = /[ ~^:?*[\\]/.exec(name)?.[0];
  if (bad !== undefined) return `the name contains '${bad}'`;
  if (name.includes("..")) return "the name contains '..'";
  if (name.includes("@{")) return "the name contains '@{'";
  for (const component of name.split("/")) {
    if (component === "") {
      return "the name has an empty component (a leading, trailing or doubled '/')";
    }
    if (component.startsWith(".")) return "a component starts with '.'";
    if (component.endsWith(".lock")) return "a component ends with '.lock'";
  }
  if (name.endsWith(".")) return "the name ends with '.'";
  return null;
}

/**
 * Why `name` is not a branch name cascade accepts, or null when it is one:
 * what `git check-ref-format --branch` refuses outside a repository
 * (`refs/heads/<name>` must be a well-formed ref, the name may not start
 * with `-` or be `HEAD`), and, cascade's own rule, not `@`, which git's
 * revision syntax reads as HEAD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { branchNameProblem } from "./refs.ts";
 * assert.equal(branchNameProblem("release/1.x"), null);
 * assert.notEqual(branchNameProblem("-f"), null);
 * ```
 */
export function branchNameProblem(name: string): string | null {
  if (name === "") return "the name is empty";
  if (name.startsWith("-")) return "the name starts with '-'";
  if (name === "HEAD") return "the name is 'HEAD'";
  if (name === "@") return "the name is '@'";
  return refNameProblem(`refs/heads/${name}`);
}

/**
 * What `git ls-remote --symref URL HEAD [refs/heads/BRANCH]` reports of
 * `head` (however many refs the server sent): HEAD's branch and its tip,
 * and the tip of `branch` (a name cascade checked). Names the server sent
 * and cascade does not use are dropped unread; HEAD's branch, which cascade
 * uses, must pass {@linkcode branchNameProblem}, or this throws a
 * {@linkcode TemplateError} of kind `invalid` whose message shows the name
 * neutralised for terminals and Actions logs, never verbatim.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkedHead } from "./refs.ts";
 * const tips = new Map([["main", "a".repeat(40)], ["x", "b".repeat(40)]]);
 * const head = checkedHead({ defaultBranch: "main", tips });
 * assert.deepEqual([...head.tips.keys()], ["main"]);
 * assert.throws(() =>
 *   checkedHead({ defaultBranch: "x\x1b]52;c;aGk=\x07", tips: new Map() })
 * );
 * ```
 */
export function checkedHead(head: RemoteHead, branch?: string): RemoteHead {
  const name = head.defaultBranch;
  const problem = name === null ? null : branchNameProblem(name);
  if (name !== null && problem !== null) {
    throw new TemplateError(
      "invalid",
      `reading the branches: the server advertised an invalid branch name "${
        forLog(name, 80)
      }" for HEAD (${problem}); rename the branch on the server, then re-run`,
    );
  }
  const tips = new Map<string, string>();
  for (const kept of [name, branch]) {
    const tip = kept == null ? undefined : head.tips.get(kept);
    if (kept != null && tip !== undefined) tips.set(kept, tip);
  }
  return { defaultBranch: name, tips };
}
