/**
 * The Gitea API wire types cascade reads, as subsets of Gitea's Swagger
 * `definitions` (1.22 to 1.25), and one shape check per type. The checks
 * look only at the fields cascade uses; anything else the server sends is
 * ignored. A failed check returns a short reason, never the value itself.
 *
 * @module
 */

/**
 * A commit status state. `skipped` only from Gitea 1.25; the combined
 * object may also say `""` (no status yet).
 */
export type CommitStatusState =
  | "pending"
  | "success"
  | "error"
  | "failure"
  | "warning"
  | "skipped";

/** Every state a single status may carry. */
const COMMIT_STATUS_STATES: readonly CommitStatusState[] = [
  "pending",
  "success",
  "error",
  "failure",
  "warning",
  "skipped",
];

/** `ServerVersion`: the answer to `GET /version`. */
export interface ServerVersion {
  /** `1.22.6`, or Forgejo's `8.0.0+gitea-1.22.0`. */
  version: string;
}

/** The owner of a repo (a subset of Gitea's `User`). */
export interface RepositoryOwner {
  /** User or organisation name. */
  login: string;
}

/** `Repository`: the subset cascade reads. */
export interface Repository {
  /** Repo name without owner. */
  name: string;
  /** `owner/name`. */
  full_name: string;
  /** The owner. */
  owner: RepositoryOwner;
  /** Default branch (empty string for an empty repo on some versions). */
  default_branch: string;
  /** Archived: read-only, no Actions. */
  archived: boolean;
  /** A fork. */
  fork: boolean;
  /** A mirror: read-only. */
  mirror: boolean;
  /** No commits yet. */
  empty: boolean;
  /** Marked as a template repo. */
  template?: boolean;
  /** Actions enabled for the repo. */
  has_actions?: boolean;
  /** HTTP clone URL. */
  clone_url: string;
  /** Web URL. */
  html_url: string;
  /**
   * Topics; only sent by Gitea 1.23+, and `null` for a repo without topics
   * on 1.23.0–1.23.3.
   */
  topics?: string[] | null;
}

/** `CommitStatus`: one status. Its state key is `status`, not `state`. */
export interface CommitStatus {
  /** Status id. */
  id: number;
  /** The state. */
  status: CommitStatusState;
  /** Context, e.g. `publish-image / build (push)`. */
  context: string;
  /** Link to the run (may be empty). */
  target_url: string;
  /** E.g. "Waiting to run", "Has been cancelled". */
  description: string;
  /** When posted (RFC 3339). */
  created_at: string;
  /** When last changed (RFC 3339). */
  updated_at: string;
}

/**
 * `CombinedStatus`: the newest status per context. With no status yet,
 * `state` is `""`, `total_count` 0 and `statuses` null (1.22–1.24) or an
 * empty list.
 */
export interface CombinedStatus {
  /** The server's combined state; its rules differ between versions. */
  state: CommitStatusState | "";
  /** The commit (empty on 1.22–1.24 when there is no status). */
  sha: string;
  /** Number of statuses (over all pages). */
  total_count: number;
  /** The statuses of this page, or null. */
  statuses: CommitStatus[] | null;
}

/** `TopicName`: the answer to `GET /repos/{o}/{r}/topics`. */
export interface TopicName {
  /** Topic names. */
  topics: string[];
}

/** `ActionTask`: one workflow run as `GET …/actions/tasks` lists it. */
export interface ActionTask {
  /** Task id. */
  id: number;
  /** Workflow name. */
  name: string;
  /** Branch the run is for. */
  head_branch: string;
  /** Commit the run is for. */
  head_sha: string;
  /** Run number in the repo. */
  run_number: number;
  /** `push`, `workflow_dispatch`, `schedule`, ... */
  event: string;
  /** `waiting`, `running`, `success`, `failure`, `cancelled`, ... */
  status: string;
  /** The workflow file name. */
  workflow_id: string;
  /** Web URL of the run. */
  url: string;
  /** When the task was created (RFC 3339; Gitea 1.23+ sends it). */
  created_at?: string;
  /**
   * When its run started (RFC 3339; Gitea 1.23+ sends it). Not
   * shape-checked: read only through `timeOf`, which takes anything.
   */
  run_started_at?: unknown;
}

/** `ActionTaskResponse`: the answer to `GET …/actions/tasks` (1.23+). */
export interface ActionTaskResponse {
  /** Total runs over all pages. */
  total_count: number;
  /** This page's runs. */
  workflow_runs: ActionTask[];
}

/** A shape check: null when `value` fits, else a short reason. */
export type ShapeCheck = (value: unknown) => string | null;

type JsonType = "string" | "number" | "boolean" | "object" | "array";

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Checks that `value` is an object whose listed fields have the types. */
function fields(
  required: Record<string, JsonType>,
  optional: Record<string, JsonType | "nullable-array"> = {},
): ShapeCheck {
  return (value) => {
    if (typeOf(value) !== "object") return `expected an object`;
    const record = value as Record<string, unknown>;
    for (const [key, type] of Object.entries(required)) {
      if (typeOf(record[key]) !== type) return `field ${key} is not a ${type}`;
    }
    for (const [key, type] of Object.entries(optional)) {
      const actual = typeOf(record[key]);
      if (actual === "undefined") continue;
      if (type === "nullable-array") {
        if (actual !== "array" && actual !== "null") {
          return `field ${key} is not a list`;
        }
      } else if (actual !== type) return `field ${key} is not a ${type}`;
    }
    return null;
  };
}

function listOf(check: ShapeCheck): ShapeCheck {
  return (value) => {
    if (!Array.isArray(value)) return "expected a list";
    for (const [i, item] of value.entries()) {
      const reason = check(item);
      if (reason !== null) return `item ${i}: ${reason}`;
    }
    return null;
  };
}

function both(...checks: ShapeCheck[]): ShapeCheck {
  return (value) => {
    for (const check of checks) {
      const reason = check(value);
      if (reason !== null) return reason;
    }
    return null;
  };
}

/** Shape check for {@linkcode ServerVersion}. */
export const checkServerVersion: ShapeCheck = fields({ version: "string" });

/** Shape check for {@linkcode Repository}. */
export const checkRepository: ShapeCheck = both(
  fields({
    name: "string",
    full_name: "string",
    owner: "object",
    default_branch: "string",
    archived: "boolean",
    fork: "boolean",
    mirror: "boolean",
    empty: "boolean",
    clone_url: "string",
    html_url: "string",
  }, {
    template: "boolean",
    has_actions: "boolean",
    topics: "nullable-array",
  }),
  (value) =>
    fields({ login: "string" })((value as { owner: unknown }).owner) === null
      ? null
      : "field owner.login is not a string",
  (value) => {
    const topics = (value as { topics?: unknown }).topics;
    return topics === undefined || topics === null ||
        (topics as unknown[]).every((t) => typeof t === "string")
      ? null
      : "field topics holds a non-string";
  },
);

/** Shape check for {@linkcode CommitStatus}. */
const checkCommitStatus: ShapeCheck = both(
  fields({
    id: "number",
    status: "string",
    context: "string",
    target_url: "string",
    description: "string",
    created_at: "string",
    updated_at: "string",
  }),
  (value) =>
    (COMMIT_STATUS_STATES as readonly string[]).includes(
        (value as { status: string }).status,
      )
      ? null
      : "field status is not a known state",
);

/** Shape check for {@linkcode CombinedStatus}. */
export const checkCombinedStatus: ShapeCheck = both(
  fields({ state: "string", sha: "string", total_count: "number" }, {
    statuses: "nullable-array",
  }),
  (value) => {
    const { state, statuses } = value as {
      state: string;
      statuses?: unknown;
    };
    if (state !== "" && !(COMMIT_STATUS_STATES as string[]).includes(state)) {
      return "field state is not a known state";
    }
    return statuses === null || statuses === undefined
      ? null
      : listOf(checkCommitStatus)(statuses);
  },
);

/** Shape check for {@linkcode TopicName}. */
export const checkTopicName: ShapeCheck = both(
  fields({ topics: "array" }),
  (value) =>
    (value as TopicName).topics.every((t) => typeof t === "string")
      ? null
      : "field topics holds a non-string",
);

/** Shape check for {@linkcode ActionTaskResponse}. */
export const checkActionTaskResponse: ShapeCheck = both(
  fields({ total_count: "number" }, { workflow_runs: "nullable-array" }),
  (value) => {
    const runs = (value as { workflow_runs?: unknown }).workflow_runs;
    return runs === null || runs === undefined ? null : listOf(fields({
      id: "number",
      name: "string",
      head_branch: "string",
      head_sha: "string",
      run_number: "number",
      event: "string",
      status: "string",
      workflow_id: "string",
      url: "string",
    }, { created_at: "string" }))(runs);
  },
);
