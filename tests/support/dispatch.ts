/**
 * What the dispatch tests share: the token, a workflow that takes the
 * version as a `workflow_dispatch` input, a wired template, and the
 * dispatch POSTs the stand-in received.
 *
 * @module
 */

import type { ApiRequest } from "./gitea_api.ts";
import {
  dispatchedJobs,
  type DispatchedRunQuery,
  type TaskLister,
} from "../../lib/forge/dispatch_runs.ts";
import type { ActionTask } from "../../lib/forge/types.ts";

/** The token the stand-in wants. */
export const TOKEN = "tok_dispatch_5e1d9a";
/** The environment that carries it. */
export const ENV = { CASCADE_TOKEN: TOKEN };

/** A workflow that takes the version as a dispatch input. */
export const WORKFLOW = `name: publish-image
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      runtime_version:
        description: the runtime to build against
        required: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ inputs.runtime_version }}"
`;

/** A template wired to the version file, with `workflows` in it. */
export function template(workflows: Record<string, string>) {
  return {
    ".runtime-version": "0.1.7\n",
    "Dockerfile": "ARG RUNTIME\nCOPY .runtime-version /\n",
    ...workflows,
  };
}

/** A JSON object. */
export type Json = Record<string, unknown>;

/** The POSTs among `requests`. */
export function posts(requests: readonly ApiRequest[]): ApiRequest[] {
  return requests.filter((r) => r.method === "POST");
}

/** Each dispatch POST as `path → body`, sorted by path. */
export function dispatches(
  requests: readonly ApiRequest[],
): [string, unknown][] {
  return posts(requests)
    .map((r): [string, unknown] => [r.path, JSON.parse(r.body ?? "null")])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The run (its one job) a dispatch started, as a follow sees it; null: none yet. */
export async function findDispatchedRun(
  client: TaskLister,
  owner: string,
  repo: string,
  query: DispatchedRunQuery,
): Promise<ActionTask | null> {
  return (await dispatchedJobs(client, owner, repo, query)).jobs[0] ?? null;
}
