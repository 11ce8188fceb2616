/**
 * Version profiles of the Gitea stand-in (`gitea_api.ts`): what each
 * server version does differently, as read in Gitea's and Forgejo's own
 * sources at the tags named and written down in the shared Gitea notes
 * (`NOTES.md`, beside the Swagger files; sections "Commit statuses",
 * "Paging", "Listing repos", "Renamed repos", "Workflow dispatch" and
 * "What a pushing client sees"). Each profile names its source; a fact the
 * notes do not give for a server is marked "assumed" with the reason.
 *
 * ```ts ignore
 * await using gitea = await startGitea({ root, token, profile: "gitea-1.23.0" });
 * ```
 *
 * @module
 */

/** The profiles the stand-in can play. */
export type ProfileName =
  | "gitea-1.22.6"
  | "gitea-1.23.0"
  | "gitea-1.23.6"
  | "gitea-1.24.0"
  | "gitea-1.25.4"
  | "forgejo-8.0";

/** What one server version does, fact by fact. */
export interface GiteaProfile {
  /** The profile's name. */
  name: ProfileName;
  /** Which forge. */
  forge: "Gitea" | "Forgejo";
  /** What `GET /version` answers. */
  version: string;
  /** Where the facts come from. */
  source: string;
  /**
   * The Gitea level of the combined-state and `skipped` rules (1022: the
   * worst state, skipped posted as success; 1025: the 1.25 rules).
   */
  level: number;
  /** `topics` in a Repository: absent (1.22), `null` when none (1.23.0–1.23.3), or a list. */
  topics: "absent" | "null" | "list";
  /** The redirect of a renamed repo, for every method: 307 up to 1.23, 301 from 1.24. */
  renameStatus: 301 | 307;
  /** With sign-in required, an anonymous request gets 401 before a rename's redirect. */
  signInBeforeRedirect: boolean;
  /** A newer push's cancel posts "Has been cancelled" for a job still queued (1.23.6+). */
  cancelsQueued: boolean;
  /** `GET /repos/{o}/{r}/actions/tasks` exists. */
  tasks: boolean;
  /** `POST …/actions/workflows/{w}/dispatches` exists. */
  dispatch: boolean;
  /** A dispatch for a missing workflow or ref: Gitea 404, Forgejo 500. */
  dispatchMissing: 404 | 500;
  /** A workflow without `workflow_dispatch`: run anyway (1.24–1.25) or 422 (later). */
  dispatchWithoutTrigger: "run" | 422;
  /** Workflow folders in the order read; only the first that exists counts. */
  workflowDirs: readonly string[];
  /** How a refusing hook's words come: `Gitea: <msg>`, or as `error:` lines (1.24+). */
  hookWords: "prefixed" | "error-lines";
}

const GITEA_DIRS = [".gitea/workflows", ".github/workflows"];

/** Every profile, by name. */
export const PROFILES: Readonly<Record<ProfileName, GiteaProfile>> = {
  "gitea-1.22.6": {
    name: "gitea-1.22.6",
    forge: "Gitea",
    version: "1.22.6",
    source:
      "Gitea v1.22.6 sources and swagger-1.22.6.json (NOTES.md): no topics " +
      "key, 307 renames, sign-in 401 before the redirect, queued jobs left " +
      "pending on cancel, no tasks list, no dispatch",
    level: 1022,
    topics: "absent",
    renameStatus: 307,
    signInBeforeRedirect: true,
    cancelsQueued: false,
    tasks: false,
    dispatch: false,
    dispatchMissing: 404,
    dispatchWithoutTrigger: "run",
    workflowDirs: GITEA_DIRS,
    hookWords: "prefixed",
  },
  "gitea-1.23.0": {
    name: "gitea-1.23.0",
    forge: "Gitea",
    version: "1.23.0",
    source:
      "Gitea v1.23.0–v1.23.3 sources (NOTES.md): topics null for a repo " +
      "without topics, tasks list from 1.23, cancel of a queued job posts " +
      "nothing (up to 1.23.5)",
    level: 1022,
    topics: "null",
    renameStatus: 307,
    signInBeforeRedirect: true,
    cancelsQueued: false,
    tasks: true,
    dispatch: false,
    dispatchMissing: 404,
    dispatchWithoutTrigger: "run",
    workflowDirs: GITEA_DIRS,
    hookWords: "prefixed",
  },
  "gitea-1.23.6": {
    name: "gitea-1.23.6",
    forge: "Gitea",
    version: "1.23.6",
    source: "Gitea v1.23.6 sources (NOTES.md): topics [] from 1.23.4, queued " +
      "jobs cancelled with 'Has been cancelled' from 1.23.6",
    level: 1022,
    topics: "list",
    renameStatus: 307,
    signInBeforeRedirect: true,
    cancelsQueued: true,
    tasks: true,
    dispatch: false,
    dispatchMissing: 404,
    dispatchWithoutTrigger: "run",
    workflowDirs: GITEA_DIRS,
    hookWords: "prefixed",
  },
  "gitea-1.24.0": {
    name: "gitea-1.24.0",
    forge: "Gitea",
    version: "1.24.0",
    source: "Gitea v1.24.0 sources and swagger-1.24.0.json (NOTES.md): 301 " +
      "renames for every method, dispatch API, a workflow without " +
      "workflow_dispatch still run, hook words as error: lines",
    level: 1022,
    topics: "list",
    renameStatus: 301,
    signInBeforeRedirect: false,
    cancelsQueued: true,
    tasks: true,
    dispatch: true,
    dispatchMissing: 404,
    dispatchWithoutTrigger: "run",
    workflowDirs: GITEA_DIRS,
    hookWords: "error-lines",
  },
  "gitea-1.25.4": {
    name: "gitea-1.25.4",
    forge: "Gitea",
    version: "1.25.4",
    source:
      "Gitea v1.25.4 sources and swagger-1.25.4.json (NOTES.md): the 1.25 " +
      "combined-state rules and the skipped state, sha and URLs filled on " +
      "a commit without statuses",
    level: 1025,
    topics: "list",
    renameStatus: 301,
    signInBeforeRedirect: false,
    cancelsQueued: true,
    tasks: true,
    dispatch: true,
    dispatchMissing: 404,
    dispatchWithoutTrigger: "run",
    workflowDirs: GITEA_DIRS,
    hookWords: "error-lines",
  },
  "forgejo-8.0": {
    name: "forgejo-8.0",
    forge: "Forgejo",
    version: "8.0.0+gitea-1.22.0",
    source: "Forgejo v8.0.x sources (NOTES.md): dispatch (500 for a missing " +
      "workflow or ref), /actions/tasks in Gitea's shape, .forgejo/workflows " +
      "read first; the rest assumed as its Gitea 1.22 base (topics, 307 " +
      "renames, sign-in 401, queued jobs left pending, hook words), which " +
      "the notes do not give separately",
    level: 1022,
    topics: "absent",
    renameStatus: 307,
    signInBeforeRedirect: true,
    cancelsQueued: false,
    tasks: true,
    dispatch: true,
    dispatchMissing: 500,
    dispatchWithoutTrigger: "run",
    workflowDirs: [".forgejo/workflows", ...GITEA_DIRS],
    hookWords: "prefixed",
  },
};

/** Every profile name, oldest first. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.keys(
  PROFILES,
) as ProfileName[];

/**
 * What a refusing pre-receive hook prints for `message` on `profile`: one
 * `Gitea: <msg>` line up to 1.23, three `error:` lines from 1.24.
 */
export function hookLines(profile: GiteaProfile, message: string): string[] {
  return profile.hookWords === "error-lines"
    ? ["error:", `error: ${message}`, "error:"]
    : [`Gitea: ${message}`];
}

/** Gitea's text for a push to an archived repo (a 403). */
export const ARCHIVED_TEXT =
  "This repo is archived. You can view files and clone it, but cannot push or open issues or pull requests.";

/** Gitea's text for a push to a mirror (a 403). */
export const MIRROR_TEXT = "mirror repository is read-only";
