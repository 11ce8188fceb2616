/**
 * A failed dispatch as the report holds it: the client's kind, one line
 * naming the template, the workflow and branch, what the server answered
 * (its words bounded and escaped by the client), and what to do for that
 * answer (no such workflow, not allowed, inputs refused).
 *
 * @module
 */

import type { ReportError } from "../../errors.ts";
import { ForgeError } from "../../forge/client.ts";
import { adviceOf } from "../../forge/forge_error.ts";

/** What was dispatched. */
export interface DispatchWhat {
  /** The workflow's file name. */
  workflow: string;
  /** The branch. */
  branch: string;
  /** The server's forge, when known (Forgejo answers 500 for refusals). */
  forge?: "Gitea" | "Forgejo";
}

/** The workflow folder the advice names, by forge. */
function workflowDir(what: DispatchWhat): string {
  return what.forge === "Forgejo" ? ".forgejo/workflows" : ".gitea/workflows";
}

/** What to do after a refused dispatch, by HTTP status. */
function adviceFor(error: ForgeError, what: DispatchWhat): string {
  switch (error.status) {
    case 404:
      return `the server has no workflow ${what.workflow} on ${what.branch} (or the token cannot see the repo): add ${
        workflowDir(what)
      }/${what.workflow} with an on: workflow_dispatch trigger, or pass --workflow`;
    case 401:
    case 403:
      return /disabled/i.test(error.message)
        ? `the workflow ${what.workflow} is disabled: enable the workflow (the repo's Actions page), then re-run`
        : "the token may not run this repo's workflows: give the bot write access to the repo and check that Actions are enabled";
    case 400:
      return "the server refused the ref or the inputs: check --input names against the workflow's workflow_dispatch inputs (--probe checks them), and --branch";
    case 422:
      return "the workflow has no workflow_dispatch trigger, or its inputs are wrong: check its on: workflow_dispatch and --input names (--probe checks both), and --branch";
    default:
      return error.advice ?? adviceOf(error.kind);
  }
}

/**
 * The report error of a failed dispatch, or null when `error` is not the
 * client's (the caller classifies it).
 */
export function dispatchFailure(
  error: unknown,
  repo: string,
  what: DispatchWhat,
): ReportError | null {
  if (!(error instanceof ForgeError)) return null;
  // The client's advice is general; this one is specific to a dispatch.
  if (what.forge === "Forgejo" && error.status === 500) {
    // Forgejo refuses a missing workflow or ref with a 500 and its words.
    return {
      kind: "dispatch-refused",
      message:
        `${repo}: dispatching ${what.workflow} on ${what.branch}: ${error.answer}; ${
          adviceOf("dispatch-refused")
        }`,
    };
  }
  return {
    kind: error.kind,
    message:
      `${repo}: dispatching ${what.workflow} on ${what.branch}: ${error.answer}; ${
        adviceFor(error, what)
      }`,
  };
}
