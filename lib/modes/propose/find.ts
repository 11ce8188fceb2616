/**
 * `cascade status --via pr|auto`: cascade's open pull request of a
 * drifted template, found through the pulls API, so status can say that
 * the version is proposed (`.results[].pr`) rather than missing.
 *
 * @module
 */

import type { PullRef } from "../../forge/pull_ref.ts";
import { InterruptedError } from "../../errors.ts";
import { ForgeError } from "../../forge/client.ts";
import type { Target } from "../../targets/target.ts";
import type { ProposeAccess } from "./access.ts";
import { proposalBranch } from "./branch.ts";

/** Finds cascade's open pull request of a template, or null. */
export type ProposalFinder = (
  target: Target,
  base: string,
) => Promise<PullRef | null>;

/**
 * A finder over the templates' API access: the open pull request from
 * `cascade/<file>` into the template's branch. An API failure is "none
 * found" (status still reports the drift); an interrupt is thrown.
 */
export function proposalFinder(
  access: ReadonlyMap<string, ProposeAccess>,
  file: string,
): ProposalFinder {
  const branch = proposalBranch(file);
  return async (target, base) => {
    const api = access.get(target.key);
    if (api === undefined) return null;
    try {
      const pr = await api.api.openFor(api.owner, api.repo, base, branch);
      return pr === null
        ? null
        : { number: pr.number, url: pr.url, branch, head: pr.head.sha };
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      if (error instanceof ForgeError) return null;
      throw error;
    }
  };
}
