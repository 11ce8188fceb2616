/**
 * `cascade targets` and `--org` discovery against the Gitea stand-in:
 * listing over two pages, filters and topics (1.22 and 1.25), a user
 * account, a hostile name, the schema of the report, and the errors.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
import { runCascade, runCascadeProcess } from "./support/fixtures.ts";
import { schemaUrl } from "../lib/model.ts";
import { VERSION } from "../lib/tool_version.ts";
import {
  FILLERS,
  paths,
  targetsJson,
  TOKEN,
  world,
} from "./support/targets_world.ts";
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
  // The report names its schema, and the schema's $id is that URL.
  const named = (run.report as { $schema?: string }).$schema;
  assert.equal(named, schemaUrl("targets", VERSION));
  assert.equal(schema.$id, named);
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
  const commands: string[] = [];
  const run = await runCascade(
    ["targets", "--org", "tpl", "--match", "t-node", "--json", "-"],
    w.env,
    {
      wrapGit: (git) => (args, options) => {
        commands.push(args.find((a) => !a.startsWith("-")) ?? "");
        return git(args, options);
      },
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(
    report.targets.map((t: { repo: string; wired: unknown }) => [
      t.repo,
      t.wired,
    ]),
    [["tpl/t-node", null]],
  );
  assert.match(run.stderr, /^tpl\/t-node +main +wired: unknown$/m);
  // A fetch is `git fetch`, or the in-process one: a POST to
  // git-upload-pack beyond the one that reads the refs.
  const posts = () =>
    w.gitea.git.requests.filter((r) =>
      r.method === "POST" && r.path === "/tpl/t-node.git/git-upload-pack"
    ).length;
  const refReads = posts();
  const fetched = () =>
    commands.includes("fetch") || commands.includes("index-pack") ||
    posts() > 2 * refReads;
  assert.ok(!fetched(), commands.join(" "));
  // With a probe, the same target is fetched (so the check above can fail).
  const probed = await runCascade(
    ["targets", "--org", "tpl", "--match", "t-node", "--probe", "Dockerfile"],
    w.env,
    {
      wrapGit: (git) => (args, options) => {
        commands.push(args.find((a) => !a.startsWith("-")) ?? "");
        return git(args, options);
      },
    },
  );
  assert.equal(probed.code, 0, probed.stderr);
  assert.ok(fetched(), commands.join(" "));
});

for (const version of ["1.22.6", "1.25.4"]) {
  Deno.test(`targets --topic, --match and --exclude filter the listing (Gitea ${version})`, async () => {
    await using w = await world(version);
    const run = await targetsJson(w, [
      "--org",
      "tpl",
      "--topic",
      "Runtime",
      "--exclude",
      "*-legacy",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.report.targets.map((t) => t.repo), [
      "tpl/t-node",
      "tpl/t-python",
    ]);
    const reasons = new Map(run.report.excluded.map((e) => [e.repo, e.reason]));
    assert.equal(reasons.get("tpl/t-legacy"), "matches --exclude *-legacy");
    assert.equal(reasons.get("tpl/t-docs"), "has no --topic (runtime)");
    // 1.22 lists no topics: asked per repo, only for repos still in play.
    const asked = paths(w).filter((p) => p.endsWith("/topics")).sort();
    assert.deepEqual(
      asked,
      version === "1.22.6"
        ? [
          "/api/v1/repos/tpl/t-docs/topics",
          "/api/v1/repos/tpl/t-node/topics",
          "/api/v1/repos/tpl/t-python/topics",
        ]
        : [],
    );
    const matched = await targetsJson(w, [
      "--org",
      "tpl",
      "--match",
      "t-p*",
      "--match",
      "tpl/t-d?cs",
    ]);
    assert.deepEqual(matched.report.targets.map((t) => t.repo), [
      "tpl/t-docs",
      "tpl/t-python",
    ]);
    assert.equal(
      new Map(matched.report.excluded.map((e) => [e.repo, e.reason])).get(
        "tpl/t-node",
      ),
      "matches no --match (t-p*, tpl/t-d?cs)",
    );
  });
}

Deno.test("targets --org takes a user account, and combines with --repo into one list", async () => {
  await using w = await world();
  const run = await targetsJson(w, [
    "--repo",
    "tpl/t-node",
    "--org",
    "alice",
    "--repo",
    `${w.gitea.origin}/alice/t-personal.git`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.report.targets.map((t) => t.repo), [
    "tpl/t-node",
    "alice/t-personal",
  ]);
  // The org (a user: /orgs answers 404), then the listed repo looked up;
  // alice/t-personal was discovered, so not asked again.
  assert.deepEqual(paths(w), [
    "/api/v1/orgs/alice/repos",
    "/api/v1/users/alice/repos",
    "/api/v1/repos/tpl/t-node",
  ]);
});

Deno.test("targets leaves out a name Gitea would not allow, escaped, and never prints it raw", async () => {
  await using w = await world();
  const evil = `${w.srv}/tpl/t-\u001b[2Jevil.git`;
  await Deno.mkdir(evil, { recursive: true });
  await Deno.writeTextFile(`${evil}/HEAD`, "ref: refs/heads/main\n");
  const run = await targetsJson(w, ["--org", "tpl", "--match", "t-*", "-v"]);
  assert.equal(run.code, 0, run.stderr);
  const entry = run.report.excluded.find((e) => e.repo.includes("evil"));
  assert.equal(entry?.repo, "tpl/t-??2Jevil");
  assert.match(entry?.reason ?? "", /a name Gitea does not allow/);
  assert.ok(!run.stdout.includes("\u001b") && !run.stderr.includes("\u001b"));
  assert.match(
    run.stdout,
    /left out tpl\/t-\?\?2Jevil: the server sent a name/,
  );
});

Deno.test("an unknown --org is a usage error naming it (exit 2); a refused token exits 3", async () => {
  await using w = await world();
  const unknown = await runCascade(["targets", "--org", "nobody"], w.env);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /--org nobody: no organisation or user of that name on the server/,
  );
  const refused = await runCascade(
    ["push", "0.2.0", "--org", "tpl"],
    { ...w.env, CASCADE_TOKEN: "wrong-token" },
  );
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /--org tpl: the server refused the token/);
  assert.ok(!refused.stderr.includes("wrong-token"));
  assert.equal(await w.fx.count(`${w.srv}/tpl/t-node.git`), 1);
  // A list alone: the lookup of a listed repo meets the refusal too.
  const listed = await runCascade(
    ["targets", "--repo", "tpl/t-node"],
    { ...w.env, CASCADE_TOKEN: "wrong-token" },
  );
  assert.equal(listed.code, 3, listed.stderr);
  assert.match(
    listed.stderr,
    /--repo tpl\/t-node: the server refused the token/,
  );
  const asked = w.gitea.api.requests.length;
  const summary = await runCascade(
    ["targets", "--org", "tpl", "--summary", `${w.fx.root}/s.md`],
    w.env,
  );
  assert.equal(summary.code, 2);
  assert.match(summary.stderr, /targets writes no Markdown summary/);
  assert.equal(
    w.gitea.api.requests.length,
    asked,
    "refused before any request",
  );
  const filterAlone = await runCascade(["targets", "--topic", "x"], w.env);
  assert.equal(filterAlone.code, 2);
  assert.match(filterAlone.stderr, /--topic filters what --org lists/);
});

Deno.test("discovery sends the token to the base URL's origin only: a redirect elsewhere is not followed", async () => {
  await using w = await world();
  const seen: (string | null)[] = [];
  await using other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push(request.headers.get("authorization"));
      return Response.json([]);
    },
  );
  const elsewhere = `http://127.0.0.1:${other.addr.port}/api/v1/orgs/tpl/repos`;
  w.gitea.api.inject(
    1,
    () => new Response(null, { status: 307, headers: { Location: elsewhere } }),
  );
  const run = await runCascade(["targets", "--org", "tpl"], w.env);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /--org tpl: .*redirected to .*; not followed/);
  assert.deepEqual(seen, []);
  assert.ok(
    w.gitea.api.requests.every((r) => r.authorization === `token ${TOKEN}`),
  );
});

Deno.test("--org without --allow-net for the server is a usage error naming the flag, before anything runs", async () => {
  await using w = await world();
  const run = await runCascadeProcess(
    ["push", "0.2.0", "--org", "tpl", "--probe", "Dockerfile"],
    { tmpDir: w.fx.root, env: w.env },
  );
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /--org reads the server's API and needs --allow-net \(for 127\.0\.0\.1:\d+\)/,
  );
  assert.deepEqual(w.gitea.api.requests, []);
  assert.deepEqual(w.gitea.git.requests, []);
  // A list alone needs no API: without --allow-net git reads the refs.
  const listed = await runCascadeProcess(
    ["targets", "--repo", "tpl/t-node", "--json", "-"],
    { tmpDir: w.fx.root, env: w.env },
  );
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).targets.map((t: { repo: string }) => t.repo),
    ["tpl/t-node"],
  );
  assert.deepEqual(w.gitea.api.requests, []);
  assert.ok(w.gitea.git.requests.length > 0);
});

Deno.test("targets shows a renamed listed repo under its new name (the 307 followed) and leaves an archived one out", async () => {
  await using w = await world();
  const run = await targetsJson(w, [
    "--repo",
    "tpl/t-ruby-old",
    "--repo",
    "tpl/t-archived",
    "--repo",
    "tpl/t-node",
    "--probe",
    "Dockerfile",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.report.targets.map((t) => [t.repo, t.branch]), [
    ["tpl/t-python", "trunk"],
    ["tpl/t-node", "main"],
  ]);
  assert.deepEqual(run.report.excluded, [
    { repo: "tpl/t-archived", reason: "archived" },
  ]);
  assert.match(
    run.stdout,
    /^tpl\/t-python +trunk +wired: yes {2}renamed from tpl\/t-ruby-old: update the list$/m,
  );
  // Each listed repo asked once (at once), the rename's redirect followed.
  assert.deepEqual(paths(w).sort(), [
    "/api/v1/repos/tpl/t-archived",
    "/api/v1/repos/tpl/t-node",
    "/api/v1/repos/tpl/t-python",
    "/api/v1/repos/tpl/t-ruby-old",
  ]);
});

Deno.test("cascade.json's org, topic and probe discover the targets; targets on the command line replace them", async () => {
  await using w = await world();
  await w.fx.write(
    "cascade.json",
    JSON.stringify({
      baseUrl: w.gitea.origin,
      org: "tpl",
      topic: "runtime",
      probe: "Dockerfile",
    }),
  );
  const io = { cwd: w.fx.root };
  const env = { CASCADE_TOKEN: TOKEN };
  const fromConfig = await runCascade(["targets", "--json", "-"], env, io);
  assert.equal(fromConfig.code, 0, fromConfig.stderr);
  assert.deepEqual(
    JSON.parse(fromConfig.stdout).targets.map((
      t: { repo: string; wired: unknown },
    ) => [t.repo, t.wired]),
    [["tpl/t-legacy", false], ["tpl/t-node", true], ["tpl/t-python", true]],
  );
  const own = await runCascade(
    ["targets", "--repo", "tpl/t-docs", "--json", "-"],
    env,
    io,
  );
  assert.equal(own.code, 0, own.stderr);
  assert.deepEqual(
    JSON.parse(own.stdout).targets.map((t: { repo: string }) => t.repo),
    ["tpl/t-docs"],
  );
});
