/**
 * The Gitea stand-in's pull requests and branch protection, mounted on a
 * {@linkcode GiteaServer} by {@linkcode attachPulls}: create, list, get (by
 * number, and by base/head), edit, merge (`Do`, `head_commit_id`,
 * `delete_branch_after_merge`), the auto-merge schedule
 * (`merge_when_checks_succeed`) that merges once the head's simulated CI
 * turns green, and `DELETE …/merge` to cancel it. Branch protection is
 * what Gitea does on the git side: a `pre-receive` hook in the bare repo
 * that refuses a push to the branch with Gitea's words (by version, from
 * NOTES.md); merges through the API still land.
 *
 * Shapes follow the Swagger `definitions` (`gitea_pulls_test.ts` checks
 * them). Where the Swagger says nothing: a scheduled auto-merge answers
 * 201, and a head that moved after scheduling is never merged.
 *
 * @module
 */

import type { GiteaServer } from "./gitea_api.ts";
import {
  git,
  json,
  mergeCommit,
  notFound,
  protectedWords,
  type Pull,
  pullJson,
  writeProtectHook,
} from "./gitea_pulls_shapes.ts";

export { protectedWords };
export type { Pull };

const T0 = Date.parse("2026-02-01T00:00:00Z");

/** The pulls API and branch protection of one stand-in server. */
export class GiteaPulls {
  readonly #server: GiteaServer;
  readonly #root: string;
  readonly #pulls = new Map<string, Pull[]>();
  readonly #protected = new Map<string, Set<string>>();
  readonly #createRefusals = new Map<
    string,
    { status: number; message: string }
  >();
  /** Runs when a merge is asked for, before it is checked (a race). */
  beforeMerge: (() => Promise<void>) | null = null;
  #nextId = 1000;
  #clock = 0;
  readonly #merging = new Set<Promise<void>>();

  /** Mounts the pulls routes on `server` (repos under `root`). */
  constructor(server: GiteaServer, root: string) {
    this.#server = server;
    this.#root = root.replace(/\/+$/, "");
    server.api.extraRoutes.push((request, url, fullName, rest) =>
      this.#route(request, url, fullName, rest)
    );
    server.api.statusListeners.push((fullName, sha) => {
      const merging = this.#autoMerge(fullName, sha);
      this.#merging.add(merging);
      void merging.finally(() => this.#merging.delete(merging));
    });
  }

  /** Every pull request of `owner/name`, oldest first. */
  pulls(fullName: string): readonly Pull[] {
    return this.#pulls.get(fullName) ?? [];
  }

  /** The open pull requests of `owner/name`. */
  open(fullName: string): Pull[] {
    return this.pulls(fullName).filter((p) => p.state === "open");
  }

  /** Waits for auto-merges in progress. */
  async settled(): Promise<void> {
    while (this.#merging.size > 0) await Promise.all([...this.#merging]);
  }

  /**
   * Protects `branch` of `owner/name`: a direct push is refused by the
   * `pre-receive` hook with Gitea's words; a merge through the API, and an
   * auto-merge, need a green CI on the head (required checks).
   */
  async protect(fullName: string, branch = "main"): Promise<void> {
    const set = this.#protected.get(fullName) ?? new Set();
    set.add(branch);
    this.#protected.set(fullName, set);
    await writeProtectHook(
      this.#dir(fullName),
      branch,
      protectedWords(this.#server.api.version, branch),
    );
  }

  /** Makes every `POST /pulls` on `owner/name` answer `status`. */
  refuseCreate(fullName: string, status: number, message: string): void {
    this.#createRefusals.set(fullName, { status, message });
  }

  /** Closes a pull request without merging (as a reviewer would). */
  close(fullName: string, number: number): Promise<void> {
    return this.#closeWith(fullName, number, false, null);
  }

  /** Merges a pull request now, as a person would in the web UI. */
  async mergeNow(fullName: string, number: number): Promise<void> {
    const pull = this.pulls(fullName).find((p) => p.number === number);
    if (!pull) throw new Error(`no pull ${number}`);
    const merged = await this.#merge(fullName, pull, "merge", false);
    if (merged !== null) throw new Error(merged);
  }

  async #route(
    request: Request,
    url: URL,
    fullName: string,
    rest: string,
  ): Promise<Response | null> {
    const method = request.method;
    if (rest === "/pulls" && method === "GET") {
      const state = url.searchParams.get("state") ?? "open";
      const all = this.pulls(fullName).filter((p) =>
        state === "all" || p.state === state
      ).reverse();
      const limit = Math.min(50, Number(url.searchParams.get("limit")) || 30);
      const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
      const items = all.slice((page - 1) * limit, page * limit);
      const headers = new Headers({ "X-Total-Count": String(all.length) });
      if (page * limit < all.length) {
        const next = new URL(url);
        next.searchParams.set("page", String(page + 1));
        headers.set("Link", `<${next.href}>; rel="next"`);
      }
      const body = await Promise.all(items.map((p) => this.#json(fullName, p)));
      return json(body, 200, headers);
    }
    if (rest === "/pulls" && method === "POST") {
      return await this.#create(request, fullName);
    }
    const byHead = /^\/pulls\/([^/]+)\/([^/]+(?:\/[^/]+)*)$/.exec(rest);
    if (byHead && !/^\d+$/.test(byHead[1] ?? "") && method === "GET") {
      const [, base = "", head = ""] = byHead;
      const matching = this.pulls(fullName).filter((p) =>
        p.base === base && p.head === head
      );
      const pull = matching.find((p) => p.state === "open") ?? matching.at(-1);
      return pull ? json(await this.#json(fullName, pull)) : notFound();
    }
    const one = /^\/pulls\/(\d+)(\/merge)?$/.exec(rest);
    if (!one) return null;
    const pull = this.pulls(fullName).find((p) => p.number === Number(one[1]));
    if (!pull) return notFound();
    if (one[2] === undefined) {
      if (method === "GET") return json(await this.#json(fullName, pull));
      if (method === "PATCH") return await this.#edit(request, fullName, pull);
      return null;
    }
    if (method === "POST") {
      return await this.#mergeRequest(request, fullName, pull);
    }
    if (method === "DELETE") {
      if (pull.schedule === null) return notFound();
      pull.schedule = null;
      return new Response(null, { status: 204 });
    }
    if (method === "GET") {
      return pull.merged ? new Response(null, { status: 204 }) : notFound();
    }
    return null;
  }

  async #create(request: Request, fullName: string): Promise<Response> {
    const refusal = this.#createRefusals.get(fullName);
    if (refusal) {
      return json({ message: refusal.message, url: "" }, refusal.status);
    }
    let option: Record<string, unknown> = {};
    try {
      option = await request.json();
    } catch { /* checked below */ }
    const { head, base, title } = option;
    if (
      typeof head !== "string" || typeof base !== "string" ||
      typeof title !== "string" || title === ""
    ) {
      return json(
        { message: "head, base and title are required", url: "" },
        422,
      );
    }
    const tips = await this.#tips(fullName);
    if (!tips.has(head) || !tips.has(base)) {
      return notFound();
    }
    const open = this.open(fullName).find((p) =>
      p.head === head && p.base === base
    );
    if (open) {
      return json({
        message:
          `pull request already exists for these targets [id: ${open.id}, issue_id: ${open.id}, head_repo_id: 1, base_repo_id: 1, head_branch: ${head}, base_branch: ${base}]`,
        url: "",
      }, 409);
    }
    const list = this.#pulls.get(fullName) ?? [];
    const pull: Pull = {
      number: list.length + 1,
      id: this.#nextId++,
      title,
      body: typeof option.body === "string" ? option.body : "",
      head,
      base,
      state: "open",
      merged: false,
      mergeSha: null,
      closedHead: null,
      schedule: null,
      createdAt: this.#now(),
    };
    list.push(pull);
    this.#pulls.set(fullName, list);
    return json(await this.#json(fullName, pull), 201);
  }

  async #edit(
    request: Request,
    fullName: string,
    pull: Pull,
  ): Promise<Response> {
    let option: Record<string, unknown> = {};
    try {
      option = await request.json();
    } catch { /* nothing to edit */ }
    if (typeof option.title === "string") pull.title = option.title;
    if (typeof option.body === "string") pull.body = option.body;
    if (option.state === "closed" && pull.state === "open") {
      await this.#closeWith(fullName, pull.number, false, null);
    }
    return json(await this.#json(fullName, pull), 201);
  }

  async #mergeRequest(
    request: Request,
    fullName: string,
    pull: Pull,
  ): Promise<Response> {
    let option: Record<string, unknown> = {};
    try {
      option = await request.json();
    } catch { /* `Do` is checked below */ }
    const style = option.Do;
    const styles = [
      "merge",
      "rebase",
      "rebase-merge",
      "squash",
      "fast-forward-only",
    ];
    if (typeof style !== "string" || !styles.includes(style)) {
      return json({ message: "[Do]: Required", url: "" }, 422);
    }
    if (pull.state !== "open") {
      return json(
        { message: "The PR is already merged or closed", url: "" },
        405,
      );
    }
    await this.beforeMerge?.();
    const head = (await this.#tips(fullName)).get(pull.head) ?? "";
    const expected = option.head_commit_id;
    if (typeof expected === "string" && expected !== "" && expected !== head) {
      return json({ message: "head out of date", url: "" }, 409);
    }
    const remove = option.delete_branch_after_merge === true;
    // As Gitea: an auto-merge waits for a green head (merged now if it is
    // already); a plain merge waits only where the base is protected.
    const green = this.#green(fullName, head);
    if (option.merge_when_checks_succeed === true && !green) {
      if (pull.schedule !== null) {
        return json(
          { message: "already scheduled to auto merge", url: "" },
          409,
        );
      }
      pull.schedule = { style, headCommitId: head, delete: remove };
      return new Response(null, { status: 201 });
    }
    if (!green && this.#protected.get(fullName)?.has(pull.base)) {
      return json({
        message: "Not all required status checks successful",
        url: "",
      }, 405);
    }
    const problem = await this.#merge(fullName, pull, style, remove);
    return problem === null
      ? new Response(null, { status: 200 })
      : json({ message: problem, url: "" }, 409);
  }

  /** The head's CI is green: at least one status, every one a success. */
  #green(fullName: string, head: string): boolean {
    const states = [...this.#server.api.statesOf(fullName, head).values()];
    return states.length > 0 &&
      states.every((s) => s === "success" || s === "skipped");
  }

  /** A status arrived: merges the scheduled pulls whose head is green. */
  async #autoMerge(fullName: string, sha: string): Promise<void> {
    const tips = await this.#tips(fullName);
    for (const pull of this.open(fullName)) {
      const plan = pull.schedule;
      if (plan === null || tips.get(pull.head) !== sha) continue;
      if (plan.headCommitId !== sha) continue; // a moved head: never merged
      if (!this.#green(fullName, sha)) continue;
      pull.schedule = null;
      await this.#merge(fullName, pull, plan.style, plan.delete);
    }
  }

  /**
   * Merges `pull` into its base with `style` (in the bare repo, as Gitea
   * does on its side); null when merged, else why not.
   */
  async #merge(
    fullName: string,
    pull: Pull,
    style: string,
    remove: boolean,
  ): Promise<string | null> {
    const dir = this.#dir(fullName);
    const tips = await this.#tips(fullName);
    const base = tips.get(pull.base);
    const head = tips.get(pull.head);
    if (base === undefined || head === undefined) return "branch not found";
    const result = await mergeCommit(dir, pull, style, base, head);
    if (!/^[0-9a-f]{40}$/.test(result)) return result;
    await git(dir, ["update-ref", `refs/heads/${pull.base}`, result, base]);
    await this.#closeWith(fullName, pull.number, true, result);
    if (remove) await git(dir, ["update-ref", "-d", `refs/heads/${pull.head}`]);
    this.#server.api.onPush(dir);
    return null;
  }

  async #closeWith(
    fullName: string,
    number: number,
    merged: boolean,
    mergeSha: string | null,
  ): Promise<void> {
    const pull = this.pulls(fullName).find((p) => p.number === number);
    if (!pull) throw new Error(`no pull ${number}`);
    pull.closedHead = (await this.#tips(fullName)).get(pull.head) ?? null;
    pull.state = "closed";
    pull.merged = merged;
    pull.mergeSha = mergeSha;
    pull.schedule = null;
  }

  /** A PullRequest as Gitea sends it. */
  async #json(fullName: string, pull: Pull): Promise<Record<string, unknown>> {
    return pullJson(
      this.#server.origin,
      fullName,
      pull,
      await this.#tips(fullName),
    );
  }

  async #tips(fullName: string): Promise<Map<string, string>> {
    const out = await git(this.#dir(fullName), [
      "for-each-ref",
      "--format=%(objectname) %(refname:lstrip=2)",
      "refs/heads",
    ]);
    return new Map(
      out.split("\n").filter(Boolean).map((line) => {
        const space = line.indexOf(" ");
        return [line.slice(space + 1), line.slice(0, space)] as const;
      }),
    );
  }

  #dir(fullName: string): string {
    return `${this.#root}/${fullName}.git`;
  }

  #now(): string {
    return new Date(T0 + 1000 * ++this.#clock).toISOString().replace(
      ".000Z",
      "Z",
    );
  }
}

/** Mounts pull requests and branch protection on a stand-in server. */
export function attachPulls(server: GiteaServer, root: string): GiteaPulls {
  return new GiteaPulls(server, root);
}
