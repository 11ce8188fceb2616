/**
 * A stand-in for Gitea's REST API and its Actions commit statuses, built
 * from Gitea's Swagger files (`tests/fixtures/gitea/`) and the shared Gitea
 * notes, mounted next to the smart-HTTP git server of `http_server.ts` on
 * one loopback port. It serves the routes cascade uses and simulates
 * Actions: a push starts one run per configured job context, which posts
 * `pending` after a queue, then its outcome; a newer push to the branch
 * cancels the older run. Failures (429, 5xx, hangs, any response) can be
 * injected for the next requests, and every API request is recorded.
 *
 * With a `profile` (`gitea_profiles.ts`) every version-dependent behaviour
 * follows that server version: topics, relative `target_url`s, 307/301
 * renames, sign-in 401s, queued-job cancellation, the tasks list, dispatch
 * and its errors, workflow folders, archived/mirror 403s and hook words.
 * Without one it keeps the version-light behaviour the older scenario
 * tests were written against (absolute status links, every cancel posted,
 * 307 renames), with `version` choosing the API shapes.
 *
 * Routing is a table ({@linkcode ApiRoute}): the first route whose method
 * and path match answers. Another file adds routes with
 * `api.addRoutes(...)` (see `gitea_pulls.ts`).
 *
 * ```ts ignore
 * await using gitea = await startGitea({ root: `${fx.root}/srv`, token });
 * await gitea.api.configureCi("org/app", { contexts: ["ci / build (push)"] });
 * ```
 *
 * @module
 */

import { type GitHttpServer, startGitHttpServer } from "./http_server.ts";
import { type Clock, SYSTEM_CLOCK } from "../../lib/engine/clock.ts";
import {
  ARCHIVED_TEXT,
  type GiteaProfile,
  hookLines,
  MIRROR_TEXT,
  type ProfileName,
  PROFILES,
} from "./gitea_profiles.ts";

export type { GiteaProfile, ProfileName } from "./gitea_profiles.ts";

/** One API call as a route sees it. */
export interface ApiCall {
  /** The request. */
  request: Request;
  /** Its URL. */
  url: URL;
  /** The route's path match (below `/api/v1`, or below the repo). */
  match: RegExpExecArray;
  /** `owner/name` for a repo route (it exists), else "". */
  fullName: string;
  /** The stand-in. */
  api: GiteaApi;
}

/**
 * One route: a method and a path pattern. With `repo`, the pattern is
 * matched against the path below `/repos/{owner}/{repo}` (the repo must
 * exist, else 404); without, against the path below `/api/v1`. `when`
 * limits it to some servers.
 */
export interface ApiRoute {
  /** HTTP method. */
  method: string;
  /** Path pattern, anchored. */
  path: RegExp;
  /** A repo route. */
  repo?: boolean;
  /** Only when this holds (e.g. the version has the endpoint). */
  when?: (api: GiteaApi) => boolean;
  /** Answers the call. */
  handle(call: ApiCall): Response | Promise<Response>;
}

/** How one repo's Actions behave after a push. */
export interface CiPlan {
  /** Job contexts, e.g. `publish-image / build (push)`. */
  contexts: string[];
  /** Zero-status window before `pending`, in ms (default 20). */
  queueMs?: number;
  /** From `pending` to the outcome, in ms (default 40). */
  runMs?: number;
  /**
   * The outcome of every job, or one per context; `none`: the server never
   * posts anything (no workflow runs on this push).
   */
  outcome?: JobOutcome | JobOutcome[];
  /** Workflow file name for the tasks list (default `build.yml`). */
  workflowFile?: string;
  /**
   * After `pending`, how long each job waits for a runner, in ms (default
   * 0). A cancel before a runner takes it posts nothing on a profile that
   * leaves queued jobs pending (up to 1.23.5).
   */
  takeMs?: number;
}

/**
 * How one repo's dispatched runs behave. Without a plan a dispatch lists
 * a run that stays `waiting`; with one, the run's jobs are listed only
 * once a runner takes them (after `queueMs`, as `running`), then end.
 */
export interface DispatchPlan {
  /** Job names, one task each (default `["build"]`). */
  jobs?: string[];
  /** Until a runner takes the jobs (not listed), in ms (default 20). */
  queueMs?: number;
  /** From `running` to the outcome, in ms (default 40). */
  runMs?: number;
  /** The task status each job ends with; `none`: never listed. */
  outcome?: "success" | "failure" | "cancelled" | "skipped" | "none";
  /** The `url` each task gives (default the run's web page). */
  url?: string;
}

/** What one simulated job ends with. */
export type JobOutcome = "success" | "failure" | "skipped" | "none";

/** Flags of a repo that its directory does not say. */
export interface RepoFlags {
  /** Archived. */
  archived?: boolean;
  /** A mirror. */
  mirror?: boolean;
  /** A fork. */
  fork?: boolean;
  /** A template repo. */
  template?: boolean;
  /** Topics. */
  topics?: string[];
}

/** One API request as the stand-in saw it. */
export interface ApiRequest {
  /** HTTP method. */
  method: string;
  /** URL path. */
  path: string;
  /** Query string without `?` (may be empty). */
  query: string;
  /** The `Authorization` header, or null. */
  authorization: string | null;
  /** The body of a POST, as text (null for other methods). */
  body: string | null;
}

/** How to build the stand-in. */
export interface GiteaApiOptions {
  /** Directory of bare repos, `<root>/<owner>/<name>.git`. */
  root: string;
  /** When set, API calls (and `/version` with a bad token) need it. */
  token?: string;
  /** The version `/version` says (default `1.22.6`). */
  version?: string;
  /** Owners that are users, not organisations. */
  users?: string[];
  /** The server version to play (overrides `version`). */
  profile?: ProfileName;
  /** The ROOT_URL `Link` headers are built from (default: the request's origin). */
  rootUrl?: string;
  /** `REQUIRE_SIGNIN_VIEW`: anonymous requests need credentials. */
  requireSignIn?: boolean;
  /**
   * The clock CI runs queue and run by (default: the system's). A test
   * that follows on a fake clock passes the same one: runs then move on
   * when the follow sleeps, never on the wall.
   */
  clock?: Clock;
}

interface StoredStatus {
  id: number;
  sha: string;
  status: string;
  context: string;
  description: string;
  target_url: string;
  at: string;
}

interface Task {
  id: number;
  name: string;
  head_branch: string;
  head_sha: string;
  run_number: number;
  event: string;
  status: string;
  workflow_id: string;
  at: string;
  url?: string;
}

interface Run {
  sha: string;
  branch: string;
  timers: (() => void)[];
  task: Task;
  done: boolean;
  /** When a runner takes its jobs (the run clock's ms). */
  takenAt: number;
}

interface RepoState {
  statuses: StoredStatus[];
  tasks: Task[];
  runs: Map<string, Run>;
  tips: Map<string, string>;
  runNumber: number;
  plan: CiPlan | null;
  dispatchPlan: DispatchPlan | null;
}

type Injected = () => Response | "hang";

/** A route of another file: an answer, or null to go on (then 404). */
export type ExtraRoute = (
  request: Request,
  url: URL,
  fullName: string,
  rest: string,
) => Promise<Response | null>;

const API = "/api/v1";
const MAX_LIMIT = 50;
const T0 = Date.parse("2026-01-01T00:00:00Z");

/** Gitea's major.minor (Forgejo: the Gitea version it reports) as a number. */
function giteaLevel(version: string): number {
  const compat = /\+gitea-(\d+)\.(\d+)/.exec(version);
  const match = compat ?? /^(\d+)\.(\d+)/.exec(version);
  return match ? Number(match[1]) * 1000 + Number(match[2]) : 0;
}

/** The API stand-in; `handle` answers a request or returns null (git). */
export class GiteaApi {
  /** Every API request received, in order. */
  readonly requests: ApiRequest[] = [];
  /** Every request (API or git) answered with a rename's redirect: `METHOD path`. */
  readonly redirected: string[] = [];
  /** Origin used in URLs the simulator makes (set by `startGitea`). */
  origin = "http://127.0.0.1";
  /** The version `/version` says; changeable between requests. */
  version: string;
  /** The profile played, or null for the version-light behaviour. */
  readonly profile: GiteaProfile | null;
  readonly #o: GiteaApiOptions;
  readonly #routes: ApiRoute[] = [];
  readonly #hidden = new Set<string>();
  readonly #flags = new Map<string, RepoFlags>();
  readonly #renames = new Map<string, string>();
  readonly #state = new Map<string, RepoState>();
  readonly #injected: Injected[] = [];
  readonly #refusals = new Map<string, { status: number; message: string }>();
  readonly #hung = new Set<() => void>();
  readonly #timers = new Set<{ cancel: () => void }>();
  #nextId = 1;
  #clock = 0;
  #closed = false;
  /** Routes of other files (`gitea_pulls.ts`), tried before a 404. */
  readonly extraRoutes: ExtraRoute[] = [];
  /** Told of every status stored (the pulls' auto-merge watches them). */
  readonly statusListeners: ((fullName: string, sha: string) => void)[] = [];

  /** Makes the stand-in. */
  constructor(options: GiteaApiOptions) {
    this.#o = options;
    this.profile = options.profile ? PROFILES[options.profile] : null;
    this.version = this.profile?.version ?? options.version ?? "1.22.6";
    this.#routes.push(...this.#baseRoutes(), ...this.#actionRoutes());
  }

  /** Adds routes, tried after the ones there (first match answers). */
  addRoutes(...routes: ApiRoute[]): void {
    this.#routes.push(...routes);
  }

  /**
   * Hides `owner/name` from the token: listings count it while paging,
   * then drop it (a page can come back short, or empty, in the middle).
   */
  hide(fullName: string): void {
    this.#hidden.add(fullName);
  }

  /**
   * Protects `branch` of `owner/name`: a push to it is refused by a
   * pre-receive hook printing the profile's words.
   */
  async protectBranch(fullName: string, branch: string): Promise<void> {
    const message = `Not allowed to push to protected branch ${branch}`;
    const profile = this.profile ?? PROFILES["gitea-1.22.6"];
    const lines = hookLines(profile, message)
      .map((l) => `  echo '${l}' >&2`).join("\n");
    const hook = `${this.dir(fullName)}/hooks/pre-receive`;
    await Deno.mkdir(`${this.dir(fullName)}/hooks`, { recursive: true });
    await Deno.writeTextFile(
      hook,
      `#!/bin/sh\nwhile read old new ref; do\n  [ "$ref" = "refs/heads/${branch}" ] || continue\n${lines}\n  exit 1\ndone\nexit 0\n`,
    );
    await Deno.chmod(hook, 0o755);
  }

  /** Sets flags of `owner/name`. */
  setFlags(fullName: string, flags: RepoFlags): void {
    this.#flags.set(fullName, { ...this.#flags.get(fullName), ...flags });
  }

  /** Makes `from` (`owner/name`) a renamed repo now at `to`. */
  rename(from: string, to: string): void {
    this.#renames.set(from, to);
  }

  /**
   * Makes every dispatch to `owner/name` answer `status` with Gitea's JSON
   * error `message` (403 without permission, 422 for refused inputs).
   */
  refuseDispatch(fullName: string, status: number, message: string): void {
    this.#refusals.set(fullName, { status, message });
  }

  /** The next `count` API requests get `respond()` (or hang until close). */
  inject(count: number, respond: Injected): void {
    for (let i = 0; i < count; i++) this.#injected.push(respond);
  }

  /** Configures Actions for `owner/name`; remembers its branch tips now. */
  async configureCi(fullName: string, plan: CiPlan): Promise<void> {
    const state = this.#repoState(fullName);
    state.plan = plan;
    state.tips = await this.#readTips(this.dir(fullName));
  }

  /** Configures how the runs dispatches start on `owner/name` behave. */
  configureDispatch(fullName: string, plan: DispatchPlan): void {
    this.#repoState(fullName).dispatchPlan = plan;
  }

  /** Posts a status as a CI would (`POST /statuses/{sha}`, in-process). */
  postStatus(
    fullName: string,
    sha: string,
    status: Omit<StoredStatus, "id" | "sha" | "at">,
  ): void {
    this.#repoState(fullName).statuses.push({
      ...status,
      id: this.#nextId++,
      sha,
      at: this.#now(),
    });
    for (const listener of this.statusListeners) listener(fullName, sha);
  }

  /** The newest status per context of `sha`: context to state. */
  statesOf(fullName: string, sha: string): Map<string, string> {
    const newest = new Map<string, string>();
    for (const s of this.#statusesOf(fullName, sha)) {
      newest.set(s.context, s.status);
    }
    return newest;
  }

  /** Tasks (runs) of a repo, newest first. */
  tasks(fullName: string): readonly Task[] {
    return [...this.#repoState(fullName).tasks].reverse();
  }

  /**
   * The push hook for `startGitHttpServer`: starts runs for moved tips;
   * resolves once they are started (a test may await it).
   */
  onPush(repoPath: string): Promise<void> {
    const rel = repoPath.slice(this.#o.root.replace(/\/+$/, "").length + 1);
    const fullName = rel.replace(/\.git$/, "");
    const state = this.#repoState(fullName);
    return this.#readTips(repoPath).then((tips) => {
      for (const [branch, sha] of tips) {
        if (state.tips.get(branch) === sha) continue;
        state.tips.set(branch, sha);
        this.#startRun(fullName, state, branch, sha);
      }
    });
  }

  /** Stops every timer and releases hung requests. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    for (const release of this.#hung) release();
  }

  /**
   * Answers an API request, a renamed repo's redirect (git paths too), a
   * push refused for an archived repo or a mirror, or null (git serves).
   */
  async handle(request: Request): Promise<Response | null> {
    const url = new URL(request.url);
    const path = decodeURIComponent(url.pathname);
    const authorization = request.headers.get("authorization");
    if (!path.startsWith(`${API}/`)) {
      // An API path without `/api/v1` is a web page Gitea does not have.
      if (path.startsWith("/repos/")) {
        return new Response("<!DOCTYPE html><title>Page Not Found</title>", {
          status: 404,
          headers: { "Content-Type": "text/html;charset=utf-8" },
        });
      }
      return this.#git(request.method, url, path, authorization);
    }
    const body = request.method === "POST"
      ? await request.clone().text()
      : null;
    this.requests.push({
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      authorization,
      body,
    });
    const injected = this.#injected.shift()?.();
    if (injected === "hang") {
      await new Promise<void>((resolve) => this.#hung.add(resolve));
      return new Response("closed", { status: 503 });
    }
    if (injected) return injected;
    const route = path.slice(API.length);
    const repo = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(route);
    const to = repo && this.#renames.get(`${repo[1]}/${repo[2]}`);
    if (repo && to) {
      if (authorization === null && this.#signInFirst()) {
        return json({
          message: "Only signed in user is allowed to call APIs.",
          url: this.#swagger(),
        }, 401);
      }
      this.redirected.push(`${request.method} ${url.pathname}`);
      return this.#redirect(`${API}/repos/${to}${repo[3] ?? ""}${url.search}`);
    }
    const denied = this.#auth(authorization, route);
    if (denied) return denied;
    return await this.#dispatchRoute(request, url, route, repo);
  }

  /** A git path: a rename's redirect, an archived/mirror 403, or null. */
  #git(
    method: string,
    url: URL,
    path: string,
    authorization: string | null,
  ): Response | null {
    const moved = /^\/([^/]+)\/([^/]+?)(\.git)?(\/.*)?$/.exec(path);
    if (!moved) return null;
    const fullName = `${moved[1]}/${moved[2]}`;
    const to = this.#renames.get(fullName);
    if (to) {
      if (authorization === null && this.#signInFirst()) {
        return new Response("Unauthorized\n", {
          status: 401,
          headers: {
            "Content-Type": "text/plain",
            "WWW-Authenticate": 'Basic realm="Gitea"',
          },
        });
      }
      this.redirected.push(`${method} ${url.pathname}`);
      return this.#redirect(
        `/${to}${moved[3] ?? ""}${moved[4] ?? ""}${url.search}`,
      );
    }
    const push = url.searchParams.get("service") === "git-receive-pack" ||
      path.endsWith("/git-receive-pack");
    const flags = this.#flags.get(fullName);
    // Gitea checks the credentials first, then refuses the push.
    if (!push || this.profile === null || authorization === null) return null;
    const text = flags?.archived
      ? ARCHIVED_TEXT
      : flags?.mirror
      ? MIRROR_TEXT
      : null;
    if (text === null) return null;
    return new Response(`${text}\n`, {
      status: 403,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }

  /** Sign-in required, answered before a rename's redirect (1.22/1.23). */
  #signInFirst(): boolean {
    return this.#o.requireSignIn === true &&
      (this.profile?.signInBeforeRedirect ?? false);
  }

  #redirect(location: string): Response {
    const status = this.profile?.renameStatus ?? 307;
    return new Response(null, { status, headers: { Location: location } });
  }

  /** The first route whose method, path and version match answers. */
  async #dispatchRoute(
    request: Request,
    url: URL,
    route: string,
    repo: RegExpExecArray | null,
  ): Promise<Response> {
    for (const r of this.#routes) {
      if (r.method !== request.method || (r.when && !r.when(this))) continue;
      const subject = r.repo ? (repo ? repo[3] ?? "" : null) : route;
      const match = subject === null ? null : r.path.exec(subject);
      if (match === null) continue;
      const fullName = r.repo && repo ? `${repo[1]}/${repo[2]}` : "";
      if (r.repo && !await isDir(this.dir(fullName))) return notFound();
      return await r.handle({ request, url, match, fullName, api: this });
    }
    // Another file's routes (`gitea_pulls.ts`), below an existing repo.
    const fullName = repo ? `${repo[1]}/${repo[2]}` : "";
    if (repo && !await isDir(this.dir(fullName))) return notFound();
    for (const extra of this.extraRoutes) {
      const answer = await extra(request, url, fullName, repo?.[3] ?? "");
      if (answer !== null) return answer;
    }
    return notFound();
  }

  /** Gitea's level (1022, 1025, …) for the version played. */
  get level(): number {
    return this.profile?.level ?? giteaLevel(this.version);
  }

  /** Whether the server plays Forgejo. */
  get forgejo(): boolean {
    return /\+gitea-/.test(this.version);
  }

  /** The routes of repos, listings and commit statuses. */
  #baseRoutes(): ApiRoute[] {
    const owner = (name: string, kind: string) => this.#ownerRepos(name, kind);
    return [
      {
        method: "GET",
        path: /^\/version$/,
        handle: () => json({ version: this.version }),
      },
      {
        method: "GET",
        path: /^\/(orgs|users)\/([^/]+)\/repos$/,
        handle: ({ match, url }) =>
          owner(match[2] ?? "", match[1] ?? "").then((r) =>
            r === null ? notFound() : this.#page(url, r, this.#hidden)
          ),
      },
      {
        method: "GET",
        path: /^$/,
        repo: true,
        handle: async ({ fullName }) => json(await this.repoJson(fullName)),
      },
      {
        method: "GET",
        path: /^\/topics$/,
        repo: true,
        handle: ({ fullName }) =>
          json({ topics: this.#flags.get(fullName)?.topics ?? [] }),
      },
      {
        method: "GET",
        path: /^\/commits\/([^/]+)\/status$/,
        repo: true,
        handle: async ({ fullName, match, url }) => {
          const sha = await this.resolve(fullName, match[1] ?? "");
          if (sha === null) return notFound();
          return await this.#combined(url, fullName, sha, this.level);
        },
      },
      {
        method: "GET",
        path: /^\/(?:commits\/([^/]+)\/statuses|statuses\/([^/]+))$/,
        repo: true,
        handle: async ({ fullName, match, url }) => {
          const ref = match[1] ?? match[2] ?? "";
          const sha = await this.resolve(fullName, ref);
          if (sha === null) return notFound();
          const all = this.#statusesOf(fullName, sha).reverse();
          const { from, to, headers } = this.#paging(url, all.length);
          return json(
            all.slice(from, to).map((s) => this.#statusJson(fullName, s)),
            200,
            headers,
          );
        },
      },
    ];
  }

  /** The Actions routes: the runs list (1.23+, Forgejo 8+) and dispatch. */
  #actionRoutes(): ApiRoute[] {
    return [
      {
        method: "GET",
        path: /^\/actions\/tasks$/,
        repo: true,
        when: () =>
          this.profile?.tasks ??
            (this.forgejo ? parseInt(this.version) >= 8 : this.level >= 1023),
        handle: ({ fullName, url }) => {
          const tasks = this.tasks(fullName);
          const { from, to, headers } = this.#paging(url, tasks.length);
          return json(
            {
              total_count: tasks.length,
              workflow_runs: tasks.slice(from, to).map((t) =>
                this.#taskJson(fullName, t)
              ),
            },
            200,
            headers,
          );
        },
      },
      {
        method: "POST",
        path: /^\/actions\/workflows\/([^/]+)\/dispatches$/,
        repo: true,
        when: () =>
          this.profile?.dispatch ??
            (this.forgejo ? parseInt(this.version) >= 8 : this.level >= 1024),
        handle: (call) => this.#dispatch(call),
      },
    ];
  }

  /** An owner's repos, or null when no such org (or user). */
  async #ownerRepos(name: string, kind: string): Promise<string[] | null> {
    const isUser = (this.#o.users ?? []).includes(name);
    if ((kind === "orgs") === isUser || !await isDir(this.#ownerDir(name))) {
      return null;
    }
    return await this.#listRepos(name);
  }

  /** `POST …/actions/workflows/{workflow}/dispatches`, by version. */
  async #dispatch({ request, fullName, match }: ApiCall): Promise<Response> {
    const workflow = match[1] ?? "";
    let body: { ref?: unknown } = {};
    try {
      body = await request.json();
    } catch { /* checked below */ }
    if (typeof body.ref !== "string" || body.ref === "") {
      return json({ message: "ref is required", url: this.#swagger() }, 422);
    }
    const branch = body.ref.replace(/^refs\/heads\//, "");
    const forgejoMissing = (what: string) =>
      json({ message: `${what} not found`, url: this.#swagger() }, 500);
    const sha = await this.resolve(fullName, branch);
    if (sha === null) {
      return this.profile?.dispatchMissing === 500
        ? forgejoMissing(`ref "${branch}"`)
        : notFound();
    }
    const refusal = this.#refusals.get(fullName);
    if (refusal) {
      return json(
        { message: refusal.message, url: this.#swagger() },
        refusal.status,
      );
    }
    const text = await this.#workflowText(fullName, sha, workflow);
    if (text === null) {
      return this.profile?.dispatchMissing === 500
        ? forgejoMissing(`workflow "${workflow}"`)
        : json({ message: "workflow not found", url: "" }, 404);
    }
    if (
      this.profile?.dispatchWithoutTrigger === 422 &&
      !/workflow_dispatch/.test(text)
    ) {
      return json({
        message: "workflow does not have a workflow_dispatch trigger",
        url: this.#swagger(),
      }, 422);
    }
    const state = this.#repoState(fullName);
    const run = { branch, sha, workflow };
    if (state.dispatchPlan !== null) {
      this.#startDispatchRun(state, state.dispatchPlan, run);
      return new Response(null, { status: 204 });
    }
    state.tasks.push({
      id: this.#nextId++,
      name: run.workflow,
      head_branch: branch,
      head_sha: sha,
      run_number: ++state.runNumber,
      event: "workflow_dispatch",
      status: "waiting",
      workflow_id: run.workflow,
      at: this.#now(),
    });
    return new Response(null, { status: 204 });
  }

  /**
   * The workflow file's text as the server finds it, or null: with a
   * profile, in the first of its workflow folders that exists (and only
   * there); without, in `.gitea/workflows`, then `.github/workflows`.
   */
  async #workflowText(
    fullName: string,
    sha: string,
    file: string,
  ): Promise<string | null> {
    const dirs = this.profile?.workflowDirs ??
      [".gitea/workflows", ".github/workflows"];
    for (const dir of dirs) {
      if (this.profile !== null) {
        const has = await this.#gitIn(
          fullName,
          "cat-file",
          "-e",
          `${sha}:${dir}`,
        );
        if (has === null) {
          continue;
        }
        return await this.#gitIn(
          fullName,
          "cat-file",
          "blob",
          `${sha}:${dir}/${file}`,
        );
      }
      const text = await this.#gitIn(
        fullName,
        "cat-file",
        "blob",
        `${sha}:${dir}/${file}`,
      );
      if (text !== null) return text;
    }
    return null;
  }

  /** Runs git in the repo's directory; its stdout, or null on failure. */
  async #gitIn(fullName: string, ...args: string[]): Promise<string | null> {
    const out = await new Deno.Command("git", {
      args,
      cwd: this.dir(fullName),
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        LC_ALL: "C",
      },
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  }

  #auth(header: string | null, route: string): Response | null {
    const token = this.#o.token;
    if (token === undefined) return null;
    if (header === null) {
      if (route === "/version") return null;
      return json({ message: "token is required", url: this.#swagger() }, 401);
    }
    if (tokenOf(header) === token) return null;
    return json({
      message: "user does not exist [uid: 0, name: ]",
      url: this.#swagger(),
    }, 401);
  }

  /**
   * A page of repos with `X-Total-Count` and Gitea's `Link`, paged over
   * every repo, the `hidden` ones dropped afterwards (as Gitea does).
   */
  async #page(
    url: URL,
    repos: string[],
    hidden: ReadonlySet<string>,
  ): Promise<Response> {
    const { from, to, headers } = this.#paging(url, repos.length);
    const shown = repos.slice(from, to).filter((n) => !hidden.has(n));
    return json(
      await Promise.all(shown.map((n) => this.repoJson(n))),
      200,
      headers,
    );
  }

  /** Paging of `url` with `Link` built from the ROOT_URL (as Gitea does). */
  #paging(url: URL, total: number) {
    return paging(url, total, this.#o.rootUrl ?? url.origin);
  }

  async #combined(
    url: URL,
    fullName: string,
    sha: string,
    level: number,
  ): Promise<Response> {
    const newest = new Map<string, StoredStatus>();
    for (const s of this.#statusesOf(fullName, sha)) newest.set(s.context, s);
    // Newest contexts first.
    const statuses = [...newest.values()].sort((a, b) => b.id - a.id);
    const base = `${this.origin}${API}/repos/${fullName}`;
    if (statuses.length === 0 && level < 1025) {
      return json({
        state: "",
        sha: "",
        total_count: 0,
        statuses: null,
        repository: null,
        commit_url: "",
        url: "",
      });
    }
    // `X-Total-Count` only, no `Link`; `total_count` counts this page.
    const { from, to, headers } = paging(url, statuses.length, null);
    const page = statuses.slice(from, to);
    return json(
      {
        state: combinedState(statuses.map((s) => s.status), level),
        sha,
        total_count: page.length,
        // A Go nil slice when there is no status (1.25 fills the rest).
        statuses: page.length === 0
          ? null
          : page.map((s) => this.#statusJson(fullName, s)),
        repository: await this.repoJson(fullName),
        // Before 1.25 Gitea leaves both URLs empty.
        commit_url: level >= 1025 ? `${base}/commits/${sha}` : "",
        url: level >= 1025 ? `${base}/commits/${sha}/status` : "",
      },
      200,
      headers,
    );
  }

  #startRun(
    fullName: string,
    state: RepoState,
    branch: string,
    sha: string,
  ): void {
    const plan = state.plan;
    if (plan === null) return;
    const old = state.runs.get(branch);
    if (old && !old.done) {
      old.timers.forEach((t) => this.#clear(t));
      old.done = true;
      old.task.status = "cancelled";
      // Up to 1.23.5 a job no runner took yet gets no new status.
      const queued = this.#runClock.now() < old.takenAt;
      const silent = queued && this.profile?.cancelsQueued === false;
      for (const context of silent ? [] : plan.contexts) {
        this.postStatus(fullName, old.sha, {
          status: "failure",
          context,
          description: "Has been cancelled",
          target_url: "",
        });
      }
    }
    const outcomes = plan.contexts.map((_, i) =>
      Array.isArray(plan.outcome)
        ? plan.outcome[i] ?? "success"
        : plan.outcome ?? "success"
    );
    if (outcomes.every((o) => o === "none")) return;
    const number = ++state.runNumber;
    const task: Task = {
      id: this.#nextId++,
      name: plan.workflowFile ?? "build.yml",
      head_branch: branch,
      head_sha: sha,
      run_number: number,
      event: "push",
      status: "waiting",
      workflow_id: plan.workflowFile ?? "build.yml",
      at: this.#now(),
    };
    state.tasks.push(task);
    const queueMs = plan.queueMs ?? 20;
    const runMs = plan.runMs ?? 40;
    const takeMs = plan.takeMs ?? 0;
    const run: Run = {
      sha,
      branch,
      timers: [],
      task,
      done: false,
      takenAt: this.#runClock.now() + queueMs + takeMs,
    };
    state.runs.set(branch, run);
    const level = this.level;
    // Gitea stores Actions' target_url as a path (a profile plays that).
    const link = (i: number) =>
      `${
        this.profile ? "" : this.origin
      }/${fullName}/actions/runs/${number}/jobs/${i}`;
    run.timers.push(this.#after(queueMs, () => {
      // On a loaded machine the outcome's timer can fire first: a run that
      // ended posts no `pending` after its outcome (it would stay newest).
      if (run.done) return;
      task.status = "running";
      plan.contexts.forEach((context, i) => {
        if (outcomes[i] === "none") return;
        this.postStatus(fullName, sha, {
          status: "pending",
          context,
          description: "Waiting to run",
          target_url: link(i),
        });
      });
    }));
    run.timers.push(this.#after(queueMs + takeMs + runMs, () => {
      run.done = true;
      const failed = outcomes.includes("failure");
      task.status = failed ? "failure" : "success";
      plan.contexts.forEach((context, i) => {
        const outcome = outcomes[i];
        if (outcome === "none" || outcome === undefined) return;
        const status = outcome === "skipped"
          ? (level >= 1025 ? "skipped" : "success")
          : outcome;
        this.postStatus(fullName, sha, {
          status,
          context,
          description: outcome === "failure"
            ? "Failing after 1s"
            : outcome === "skipped"
            ? "Has been skipped"
            : "Successful in 1s",
          target_url: link(i),
        });
      });
    }));
  }

  /** A dispatched run by `plan`: listed once taken, then its outcome. */
  #startDispatchRun(
    state: RepoState,
    plan: DispatchPlan,
    run: { branch: string; sha: string; workflow: string },
  ): void {
    const number = ++state.runNumber;
    if (plan.outcome === "none") return;
    const tasks: Task[] = [];
    const outcome = plan.outcome ?? "success";
    // On a loaded machine the outcome's timer can fire first: jobs taken
    // after it are listed ended, never `running` for ever.
    let ended = false;
    this.#after(plan.queueMs ?? 20, () => {
      for (const job of plan.jobs ?? ["build"]) {
        const task: Task = {
          id: this.#nextId++,
          name: job,
          head_branch: run.branch,
          head_sha: run.sha,
          run_number: number,
          event: "workflow_dispatch",
          status: ended ? outcome : "running",
          workflow_id: run.workflow,
          at: this.#now(),
          ...(plan.url === undefined ? {} : { url: plan.url }),
        };
        tasks.push(task);
        state.tasks.push(task);
      }
    });
    this.#after((plan.queueMs ?? 20) + (plan.runMs ?? 40), () => {
      ended = true;
      for (const task of tasks) task.status = outcome;
    });
  }

  get #runClock(): Clock {
    return this.#o.clock ?? SYSTEM_CLOCK;
  }

  /** Runs `task` after `ms` on the run clock; returns its cancel. */
  #after(ms: number, task: () => void): () => void {
    if (this.#closed) return () => {};
    const timer = { cancel: () => {} };
    this.#timers.add(timer);
    const start = this.#runClock.timer ?? SYSTEM_CLOCK.timer;
    // A fake clock may fire at once, before its cancel is handed back.
    timer.cancel = start?.(ms, () => {
      this.#timers.delete(timer);
      task();
    }) ?? (() => {});
    return () => {
      timer.cancel();
      this.#timers.delete(timer);
    };
  }

  #clear(cancel: () => void): void {
    cancel();
  }

  #statusesOf(fullName: string, sha: string): StoredStatus[] {
    return this.#repoState(fullName).statuses.filter((s) => s.sha === sha);
  }

  #repoState(fullName: string): RepoState {
    let state = this.#state.get(fullName);
    if (!state) {
      state = {
        statuses: [],
        tasks: [],
        runs: new Map(),
        tips: new Map(),
        runNumber: 0,
        plan: null,
        dispatchPlan: null,
      };
      this.#state.set(fullName, state);
    }
    return state;
  }

  /** The bare repo directory of `owner/name`. */
  dir(fullName: string): string {
    return `${this.#o.root.replace(/\/+$/, "")}/${fullName}.git`;
  }

  #ownerDir(owner: string): string {
    return `${this.#o.root.replace(/\/+$/, "")}/${owner}`;
  }

  async #listRepos(owner: string): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of Deno.readDir(this.#ownerDir(owner))) {
      if (entry.isDirectory && entry.name.endsWith(".git")) {
        names.push(`${owner}/${entry.name.slice(0, -4)}`);
      }
    }
    return names.sort();
  }

  /** Branch tips from the bare repo's files (loose and packed refs). */
  async #readTips(dir: string): Promise<Map<string, string>> {
    const tips = new Map<string, string>();
    const packed = await Deno.readTextFile(`${dir}/packed-refs`).catch(() =>
      ""
    );
    for (const line of packed.split("\n")) {
      const m = /^([0-9a-f]{40,64}) refs\/heads\/(.+)$/.exec(line);
      if (m) tips.set(m[2] ?? "", m[1] ?? "");
    }
    const walk = async (sub: string): Promise<void> => {
      const entries = Deno.readDir(`${dir}/refs/heads${sub}`);
      try {
        for await (const entry of entries) {
          const name = `${sub}/${entry.name}`;
          if (entry.isDirectory) await walk(name);
          else {
            const sha = (await Deno.readTextFile(`${dir}/refs/heads${name}`))
              .trim();
            tips.set(name.slice(1), sha);
          }
        }
      } catch { /* no refs/heads */ }
    };
    await walk("");
    return tips;
  }

  async #defaultBranch(fullName: string): Promise<string> {
    const head = await Deno.readTextFile(`${this.dir(fullName)}/HEAD`).catch(
      () => "",
    );
    return /^ref: refs\/heads\/(.+)$/m.exec(head)?.[1]?.trim() ?? "main";
  }

  /** A branch name or a full sha to a sha; null for an unknown branch. */
  async resolve(fullName: string, ref: string): Promise<string | null> {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    const tips = await this.#readTips(this.dir(fullName));
    return tips.get(ref.replace(/^refs\/heads\//, "")) ?? null;
  }

  /** The repo as the version's `Repository` JSON. */
  async repoJson(fullName: string): Promise<Record<string, unknown>> {
    const [owner = "", name = ""] = fullName.split("/");
    const flags = this.#flags.get(fullName) ?? {};
    const tips = await this.#readTips(this.dir(fullName));
    const web = `${this.origin}/${fullName}`;
    const when = new Date(T0).toISOString().replace(".000Z", "Z");
    const repo: Record<string, unknown> = {
      id: stableId(fullName),
      owner: this.#user(owner),
      name,
      full_name: fullName,
      description: "",
      empty: tips.size === 0,
      private: false,
      fork: flags.fork ?? false,
      template: flags.template ?? false,
      parent: null,
      mirror: flags.mirror ?? false,
      size: 0,
      language: "",
      languages_url: `${this.origin}${API}/repos/${fullName}/languages`,
      html_url: web,
      url: `${this.origin}${API}/repos/${fullName}`,
      link: "",
      ssh_url: `git@127.0.0.1:${fullName}.git`,
      clone_url: `${web}.git`,
      original_url: "",
      website: "",
      stars_count: 0,
      forks_count: 0,
      watchers_count: 1,
      open_issues_count: 0,
      open_pr_counter: 0,
      release_counter: 0,
      default_branch: await this.#defaultBranch(fullName),
      archived: flags.archived ?? false,
      created_at: when,
      updated_at: when,
      archived_at: "1970-01-01T00:00:00Z",
      permissions: { admin: false, push: true, pull: true },
      has_issues: true,
      has_wiki: true,
      has_pull_requests: true,
      has_projects: true,
      has_releases: true,
      has_packages: true,
      has_actions: true,
      ignore_whitespace_conflicts: false,
      allow_merge_commits: true,
      allow_rebase: true,
      allow_rebase_explicit: true,
      allow_squash_merge: true,
      allow_fast_forward_only_merge: true,
      allow_rebase_update: true,
      default_delete_branch_after_merge: false,
      default_merge_style: "merge",
      default_allow_maintainer_edit: false,
      avatar_url: "",
      internal: false,
      mirror_interval: "",
      mirror_updated: "0001-01-01T00:00:00Z",
      repo_transfer: null,
      object_format_name: "sha1",
    };
    const topics = this.profile?.topics ??
      (giteaLevel(this.version) >= 1023 ? "list" : "absent");
    if (topics === "list") repo.topics = flags.topics ?? [];
    if (topics === "null") {
      repo.topics = flags.topics?.length ? flags.topics : null;
    }
    return repo;
  }

  #user(login: string): Record<string, unknown> {
    return giteaUser(this.origin, login);
  }

  #statusJson(fullName: string, s: StoredStatus): Record<string, unknown> {
    return {
      id: s.id,
      status: s.status,
      target_url: s.target_url,
      description: s.description,
      url: `${this.origin}${API}/repos/${fullName}/statuses/${s.sha}`,
      context: s.context,
      creator: this.#user("gitea-actions"),
      created_at: s.at,
      updated_at: s.at,
    };
  }

  #taskJson(fullName: string, t: Task): Record<string, unknown> {
    return {
      id: t.id,
      name: t.name,
      head_branch: t.head_branch,
      head_sha: t.head_sha,
      run_number: t.run_number,
      event: t.event,
      display_title: "update .runtime-version",
      status: t.status,
      workflow_id: t.workflow_id,
      url: t.url ?? `${this.origin}/${fullName}/actions/runs/${t.run_number}`,
      created_at: t.at,
      updated_at: t.at,
      run_started_at: t.at,
    };
  }

  #swagger(): string {
    return `${this.origin}/api/swagger`;
  }

  /**
   * Gitea's clock: now, to the second, as RFC 3339 (never going back), so
   * that `created_at` and the `Date` header of the answers agree.
   */
  #now(): string {
    this.#clock = Math.max(this.#clock, Math.floor(Date.now() / 1000) * 1000);
    return new Date(this.#clock).toISOString().replace(".000Z", "Z");
  }
}

/**
 * The combined state as Gitea computes it: before 1.25 the worst of
 * error < failure < warning < pending < success (error said as failure);
 * from 1.25 failure if any error/failure, success if all are
 * success/warning/skipped, else pending.
 */
export function combinedState(states: string[], level: number): string {
  if (states.length === 0) return "";
  if (level >= 1025) {
    if (states.some((s) => s === "error" || s === "failure")) return "failure";
    if (states.every((s) => ["success", "warning", "skipped"].includes(s))) {
      return "success";
    }
    return "pending";
  }
  const order = ["error", "failure", "warning", "pending", "success"];
  const worst = order.find((s) => states.includes(s)) ?? "success";
  return worst === "error" ? "failure" : worst;
}

/**
 * `page`/`limit` of a request, and Gitea's paging headers, `Link` built
 * from `root` (Gitea's ROOT_URL) and the request's path, or none when
 * `root` is null.
 */
function paging(
  url: URL,
  total: number,
  root: string | null,
): { from: number; to: number; headers: Headers } {
  const rawLimit = Number(url.searchParams.get("limit") ?? "30");
  const limit = Math.min(
    MAX_LIMIT,
    rawLimit > 0 && Number.isInteger(rawLimit) ? rawLimit : 30,
  );
  const rawPage = Number(url.searchParams.get("page") ?? "1");
  const page = rawPage > 0 && Number.isInteger(rawPage) ? rawPage : 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const headers = new Headers({ "X-Total-Count": String(total) });
  const link = (n: number, rel: string) => {
    const query = new URLSearchParams(url.searchParams);
    query.set("page", String(n));
    const sorted = new URLSearchParams(
      [...query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    return `<${root}${url.pathname}?${sorted}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < pages) links.push(link(page + 1, "next"));
  if (page !== pages) links.push(link(pages, "last"));
  if (page > 1) links.push(link(1, "first"), link(page - 1, "prev"));
  if (links.length > 0 && root !== null) headers.set("Link", links.join(","));
  return { from: (page - 1) * limit, to: page * limit, headers };
}

/** The token of `token X`, `Bearer X` or Basic (as password or user). */
function tokenOf(header: string): string | null {
  const plain = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header)?.[1];
  if (plain !== undefined) return plain;
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(header)?.[1];
  if (encoded === undefined) return null;
  try {
    const text = atob(encoded);
    const colon = text.indexOf(":");
    if (colon < 0) return null;
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    return password !== "" ? password : user;
  } catch {
    return null;
  }
}

function stableId(text: string): number {
  let hash = 7;
  for (const c of text) hash = (hash * 31 + c.charCodeAt(0)) % 1_000_003;
  return hash + 1;
}

/** A Gitea `User` as the stand-in answers it, for `login` on `origin`. */
export function giteaUser(
  origin: string,
  login: string,
): Record<string, unknown> {
  return {
    id: stableId(login),
    login,
    login_name: "",
    source_id: 0,
    full_name: "",
    email: `${login}@noreply.127.0.0.1`,
    avatar_url: `${origin}/avatars/${login}`,
    html_url: `${origin}/${login}`,
    language: "",
    is_admin: false,
    last_login: "0001-01-01T00:00:00Z",
    created: "2026-01-01T00:00:00Z",
    restricted: false,
    active: false,
    prohibit_login: false,
    location: "",
    website: "",
    description: "",
    visibility: "public",
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
  };
}

/** A JSON answer as Gitea sends it (for route files too). */
export function json(
  value: unknown,
  status = 200,
  headers = new Headers(),
): Response {
  headers.set("Content-Type", "application/json;charset=utf-8");
  return new Response(JSON.stringify(value), { status, headers });
}

/** Gitea's 404 JSON answer (for route files too). */
export function notFound(): Response {
  return json({ errors: ["not found"], message: "not found", url: "" }, 404);
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** The git server with the API stand-in mounted on the same port. */
export interface GiteaServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The API stand-in. */
  api: GiteaApi;
  /** The git server (its `requests` are the git requests). */
  git: GitHttpServer;
  /** Stops timers and the server. */
  close(): Promise<void>;
}

/** Starts the git server and the API stand-in on one loopback port. */
export async function startGitea(
  options: GiteaApiOptions,
): Promise<GiteaServer> {
  const api = new GiteaApi(options);
  const git = await startGitHttpServer({
    root: options.root,
    ...(options.token === undefined ? {} : { token: options.token }),
    api: (request) => api.handle(request),
    onPush: (repo) => api.onPush(repo),
  });
  api.origin = git.origin;
  const close = async () => {
    api.close();
    await git.close();
  };
  return { origin: git.origin, api, git, close, [Symbol.asyncDispose]: close };
}
