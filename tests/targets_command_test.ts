/**
 * `cascade targets`, and `--org` discovery for push and status, against the
 * Gitea stand-in: an organisation of more than one page (over 50 repos),
 * archived, mirror, fork and empty repos, topics (1.22: per repo; 1.25: in
 * the listing), wired and unwired templates, a user account, a renamed
 * repo and a name Gitea would never allow.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { type GiteaServer, startGitea } from "./support/gitea_api.ts";

const TOKEN = "tok_targets_5b1e9c";
const WIRED = { Dockerfile: "COPY .runtime-version /\n" };
const FILLERS = 52;

interface World extends AsyncDisposable {
  fx: Fixture;
  gitea: GiteaServer;
  env: Record<string, string>;
  srv: string;
}

/** The organisation `tpl`, the user `alice`, on a stand-in of `version`. */
async function world(version = "1.22.6"): Promise<World> {
  const fx = await Fixture.create();
  const srv = `${fx.root}/srv`;
  const gitea = await startGitea({
    root: srv,
    token: TOKEN,
    version,
    users: ["alice"],
  });
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
  await fx.repo("tpl/t-docs", { ...WIRED, ...v });
  await fx.repo("tpl/t-archived", { ...WIRED, ...v });
  await fx.repo("tpl/t-mirror", { ...WIRED, ...v });
  await fx.repo("tpl/t-fork", { ...WIRED, ...v });
  await fx.repo("tpl/t-empty", null);
  await fx.repo("alice/t-personal", { ...WIRED, ...v });
  const api = gitea.api;
  for (const name of ["t-node", "t-python", "t-legacy", "t-archived"]) {
    api.setFlags(`tpl/${name}`, { topics: ["runtime", "image"] });
  }
  api.setFlags("tpl/t-archived", { archived: true });
  api.setFlags("tpl/t-mirror", { mirror: true });
  api.setFlags("tpl/t-fork", { fork: true });
  api.rename("tpl/t-ruby-old", "tpl/t-python");
  return {
    fx,
    gitea,
    srv,
    env: { CASCADE_TOKEN: TOKEN, GITEA_URL: gitea.origin },
    async [Symbol.asyncDispose]() {
      await gitea.close();
      await fx[Symbol.asyncDispose]();
    },
  };
}

type Report = {
  targets: {
    repo: string;
    url: string;
    branch: string | null;
    wired: unknown;
  }[];
  excluded: { repo: string; reason: string }[];
};

async function targetsJson(
  w: World,
  args: string[],
): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  const json = `${w.fx.root}/targets-${crypto.randomUUID()}.json`;
  const run = await runCascade(["targets", ...args, "--json", json], w.env);
  const report = run.code === 0 || run.code === 1
    ? await readReport<Report>(json)
    : { targets: [], excluded: [] };
  return { ...run, report };
}

const _paths = (w: World) => w.gitea.api.requests.map((r) => r.path);

Deno.test("targets --org lists every page, leaves out archived, mirror, fork and empty repos, and says which are wired", async () => {
  await using w = await world();
  const run = await targetsJson(w, ["--org", "tpl", "--probe", "Dockerfile"]);
  assert.equal(run.code, 0, run.stderr);
  const url = (n: string) => `${w.gitea.origin}/tpl/${n}.git`;
  assert.deepEqual(run.report.targets, [
    { repo: "tpl/t-docs", url: url("t-docs"), branch: "main", wired: true },
    {
      repo: "tpl/t-legacy",
      url: url("t-legacy"),
      branch: "main",
      wired: false,
    },
    { repo: "tpl/t-node", url: url("t-node"), branch: "main", wired: true },
    {
      repo: "tpl/t-python",
      url: url("t-python"),
      branch: "trunk",
      wired: true,
    },
  ]);
  const reasons = new Map(run.report.excluded.map((e) => [e.repo, e.reason]));
  assert.equal(reasons.get("tpl/t-archived"), "archived");
  assert.equal(reasons.get("tpl/t-mirror"), "mirror (read-only)");
  assert.equal(reasons.get("tpl/t-fork"), "fork");
  assert.equal(reasons.get("tpl/t-empty"), "empty (no commits yet)");
  assert.equal(reasons.get("tpl/a-filler-51"), "empty (no commits yet)");
  assert.equal(run.report.excluded.length, FILLERS + 4);
  // Two pages of the org, and the token on every API request.
  const listing = w.gitea.api.requests.filter((r) =>
    r.path === "/api/v1/orgs/tpl/repos"
  );
  assert.deepEqual(listing.map((r) => r.query), [
    "limit=50",
    "limit=50&page=2",
  ]);
  assert.ok(
    w.gitea.api.requests.every((r) => r.authorization === `token ${TOKEN}`),
  );
  assert.match(run.stdout, /^tpl\/t-python +trunk +wired: yes$/m);
  assert.match(run.stdout, /^tpl\/t-legacy +main +wired: no +not wired: /m);
  assert.match(
    run.stdout,
    /cascade targets: 4 targets \(3 wired, 1 not wired\), 56 left out/,
  );
  // The report fits its schema (strict, draft 2020-12).
  const schema = JSON.parse(
    await Deno.readTextFile(
      fileURLToPath(
        new URL("../schema/targets-report.schema.json", import.meta.url),
      ),
    ),
  );
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(
    schema,
  );
  assert.ok(validate(run.report), JSON.stringify(validate.errors));
  assert.equal(validate({ ...run.report, extra: 1 }), false);
  assert.equal(
    validate({
      targets: [{ ...run.report.targets[0], wired: "yes" }],
      excluded: [],
    }),
    false,
  );
});

Deno.test("targets without --probe says wired unknown (null) and fetches nothing", async () => {
  await using w = await world();
  const run = await targetsJson(w, ["--org", "tpl", "--match", "t-node"]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.report.targets.map((t) => [t.repo, t.wired]), [
    ["tpl/t-node", null],
  ]);
  assert.match(run.stdout, /^tpl\/t-node +main +wired: unknown$/m);
  assert.ok(
    !w.gitea.git.requests.some((r) =>
      r.method === "POST" && r.path.endsWith("/git-upload-pack")
    ),
    "no fetch without a probe",
  );
});
