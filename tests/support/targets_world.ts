/**
 * The Gitea stand-in world of the discovery and `targets` tests: the
 * organisation `tpl` with more than one page of repos (52 empty fillers
 * put the templates on page 2), wired and unwired templates (one on
 * `trunk`), archived, mirror, fork and empty repos, topics, a renamed
 * repo (`tpl/t-ruby-old` → `tpl/t-python`) and the user `alice`.
 *
 * @module
 */

import { Fixture, readReport, runCascade } from "./fixtures.ts";
import { type GiteaServer, startGitea } from "./gitea_api.ts";

/** The token the stand-in wants. */
export const TOKEN = "tok_targets_5b1e9c";
/** Files of a wired template. */
export const WIRED = { Dockerfile: "COPY .runtime-version /\n" };
/** Empty filler repos before the templates. */
export const FILLERS = 52;

/** A fixture, the stand-in and the environment to run cascade in. */
export interface World extends AsyncDisposable {
  fx: Fixture;
  gitea: GiteaServer;
  env: Record<string, string>;
  srv: string;
}

/**
 * The organisation `tpl`, the user `alice`, on a stand-in of `version`;
 * a setup that fails removes what it made.
 */
export async function world(version = "1.22.6"): Promise<World> {
  const fx = await Fixture.create();
  let gitea: GiteaServer | null = null;
  try {
    gitea = await startGitea({
      root: `${fx.root}/srv`,
      token: TOKEN,
      version,
      users: ["alice"],
    });
    await populate(fx, gitea);
  } catch (error) {
    await gitea?.close();
    await fx[Symbol.asyncDispose]();
    throw error;
  }
  const server = gitea;
  return {
    fx,
    gitea: server,
    srv: `${fx.root}/srv`,
    env: { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
    async [Symbol.asyncDispose]() {
      await server.close();
      await fx[Symbol.asyncDispose]();
    },
  };
}

/** The repos, flags and rename of the world. */
async function populate(fx: Fixture, gitea: GiteaServer): Promise<void> {
  const srv = `${fx.root}/srv`;
  // Empty filler repos (a HEAD, no commits) put the templates on page 2.
  for (let i = 0; i < FILLERS; i++) {
    const dir = `${srv}/tpl/a-filler-${String(i).padStart(2, "0")}.git`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/HEAD`, "ref: refs/heads/main\n");
  }
  const v = { ".runtime-version": "0.1.0\n" };
  await fx.repo("tpl/t-node", { ...WIRED, ...v });
  await fx.repo("tpl/t-python", { ...WIRED, ...v }, "trunk");
  await fx.repo("tpl/t-legacy", { Dockerfile: "FROM x\n", ...v });
  await fx.repo("tpl/t-empty", null);
  // Copies of t-node: the same content, without a git process each.
  for (
    const copy of [
      "tpl/t-docs",
      "tpl/t-archived",
      "tpl/t-mirror",
      "tpl/t-fork",
      "alice/t-personal",
    ]
  ) {
    await copyDir(`${srv}/tpl/t-node.git`, `${srv}/${copy}.git`);
  }
  const api = gitea.api;
  for (const name of ["t-node", "t-python", "t-legacy", "t-archived"]) {
    api.setFlags(`tpl/${name}`, { topics: ["runtime", "image"] });
  }
  api.setFlags("tpl/t-archived", { archived: true });
  api.setFlags("tpl/t-mirror", { mirror: true });
  api.setFlags("tpl/t-fork", { fork: true });
  api.rename("tpl/t-ruby-old", "tpl/t-python");
}

/** Copies a directory tree (a bare repo's files). */
async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyDir(source, target);
    else await Deno.copyFile(source, target);
  }
}

/** A `targets --json` report. */
export type TargetsReport = {
  targets: {
    repo: string;
    url: string;
    branch: string | null;
    wired: unknown;
  }[];
  excluded: { repo: string; reason: string }[];
};

/** Runs `targets` with `args` and reads its `--json` report. */
export async function targetsJson(
  w: World,
  args: string[],
): Promise<
  { code: number; report: TargetsReport; stdout: string; stderr: string }
> {
  const json = `${w.fx.root}/targets-${crypto.randomUUID()}.json`;
  const run = await runCascade(["targets", ...args, "--json", json], w.env);
  const report = run.code === 0 || run.code === 1
    ? await readReport<TargetsReport>(json)
    : { targets: [], excluded: [] };
  return { ...run, report };
}

/** The paths of every API request the stand-in received. */
export const paths = (w: World) => w.gitea.api.requests.map((r) => r.path);
