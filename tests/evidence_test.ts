import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { backdatedGreen, hostileGitea } from "./support/hostile_gitea.ts";
import { ENV, FAST, TOKEN } from "./support/wait_fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { withNonce } from "../lib/git/nonce.ts";
import {
  clockSkew,
  keepOurs,
  type Seen,
  serverNotBefore,
  unbelieved,
} from "../lib/forge/evidence.ts";

/** The slack on a `Date` header's clock, as evidence.ts documents it. */
const DATE_SLACK_MS = 3_000;
/** The skew assumed without a `Date` header (two minutes). */
const SKEW_ALLOWANCE_MS = 120_000;

const AUTHOR = "Release Bot <release@example.com>";
const MESSAGE = "chore: pin {version}";
const CONTEXT = "publish-image / build (push)";

/** A second every commit of a pinned run carries. */
const PINNED = 1_767_225_600;

/**
 * The run's clock pinned to the second `PINNED`, as two runs in the same
 * second would see it: what is left to tell their commits apart is the
 * nonce.
 */
const pinClock = () => PINNED * 1000;

/** The zone git writes for a commit made at `PINNED` on this machine. */
function pinnedZone(): string {
  const east = -new Date(PINNED * 1000).getTimezoneOffset();
  const abs = Math.abs(east);
  return `${east < 0 ? "-" : "+"}${
    String(Math.floor(abs / 60)).padStart(2, "0")
  }${String(abs % 60).padStart(2, "0")}`;
}

/** The raw commit object. */
async function rawCommit(fx: Fixture, repo: string, sha: string) {
  const out = await fx.git(["cat-file", "commit", sha], { cwd: repo });
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

/** The SHA-1 id git gives a commit object of `text`. */
async function commitId(text: string): Promise<string> {
  const body = new TextEncoder().encode(text);
  const head = new TextEncoder().encode(`commit ${body.length}\0`);
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  const digest = await crypto.subtle.digest("SHA-1", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A commit object's text without its `Cascade-Nonce` trailer. */
function withoutNonce(text: string): string {
  return text.replace(/\n{1,2}Cascade-Nonce: [0-9a-f]{32}\n$/, "\n");
}

Deno.test("withNonce() adds the trailer to a trailer block, else as its own paragraph", () => {
  assert.equal(
    withNonce("pin 0.2\n\nCo-Authored-By: Ada <a@example.com>\n", "00ff"),
    "pin 0.2\n\nCo-Authored-By: Ada <a@example.com>\nCascade-Nonce: 00ff\n",
  );
  assert.equal(
    withNonce("pin 0.2", "00ff"),
    "pin 0.2\n\nCascade-Nonce: 00ff\n",
  );
  assert.equal(
    withNonce("pin 0.2\n\nsee: the notes below\nand more\n", "00ff"),
    "pin 0.2\n\nsee: the notes below\nand more\n\nCascade-Nonce: 00ff\n",
  );
});

Deno.test("two pushes in the same second with the same inputs make different commits", async () => {
  await using fx = await Fixture.create();
  const files = { ".runtime-version": "0.1\n", "README.md": "hi\n" };
  const a = await fx.repo("a", files);
  const b = await fx.repo("b", files);
  assert.equal(await fx.tip(a), await fx.tip(b), "the same template twice");
  const flags = ["--author", AUTHOR, "--message", MESSAGE];
  const [first, second] = await Promise.all([
    runCascade(["push", "0.2", "--repo", a, ...flags], {}, {
      now: pinClock,
    }),
    runCascade(["push", "0.2", "--repo", b, ...flags], {}, {
      now: pinClock,
    }),
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  const [tipA, tipB] = [await fx.tip(a), await fx.tip(b)];
  assert.ok(tipA !== null && tipB !== null);
  assert.notEqual(tipA, tipB, "the commit ids differ");
  const [rawA, rawB] = [
    await rawCommit(fx, a, tipA),
    await rawCommit(fx, b, tipB),
  ];
  const zone = pinnedZone().replace("+", "\\+");
  assert.match(rawA, new RegExp(`^author ${AUTHOR} ${PINNED} ${zone}$`, "m"));
  assert.match(
    rawB,
    new RegExp(`^committer ${AUTHOR} ${PINNED} ${zone}$`, "m"),
  );
  const [infoA, infoB] = [await fx.show(a, tipA), await fx.show(b, tipB)];
  assert.equal(infoA.message, "chore: pin 0.2\n");
  assert.equal(
    infoA.rawMessage,
    `chore: pin 0.2\n\nCascade-Nonce: ${infoA.nonce}\n`,
  );
  assert.match(infoA.nonce ?? "", /^[0-9a-f]{32}$/);
  assert.match(infoB.nonce ?? "", /^[0-9a-f]{32}$/);
  assert.notEqual(infoA.nonce, infoB.nonce);
  // All else is equal: without the nonce they would be one commit.
  assert.equal(withoutNonce(rawA), withoutNonce(rawB));
  assert.equal(await commitId(rawA), tipA, "the id recipe is git's");
  assert.equal(await fx.count(a), 2);
});

Deno.test("push --wait: success statuses posted in advance for the next minute's possible commits do not make a template with no CI green", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const parent = await fx.tip(repo) ?? "";
  // The attacker builds the tree cascade will write...
  const blob = await fx.git(["hash-object", "-w", "--stdin"], {
    cwd: repo,
    stdin: "0.2\n",
  });
  const tree = await fx.git(["mktree"], {
    cwd: repo,
    stdin: `100644 blob ${blob.stdout.trim()}\t.runtime-version\n`,
  });
  assert.equal(tree.code, 0, tree.stderr);
  // ...and posts a green status for the commit of every second to come.
  await using gitea = await hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.22.6",
    () => null,
  );
  const now = Math.floor(Date.now() / 1000);
  const predicted = new Set<string>();
  for (let t = now - 5; t <= now + 60; t++) {
    const who = `${AUTHOR} ${t} +0000`;
    const id = await commitId(
      `tree ${tree.stdout.trim()}\nparent ${parent}\nauthor ${who}\ncommitter ${who}\n\nchore: pin 0.2\n`,
    );
    predicted.add(id);
    gitea.api.postStatus("org/a", id, {
      status: "success",
      context: CONTEXT,
      description: "Successful in 1s",
      target_url: "",
    });
  }
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    [
      "push",
      "0.2",
      "--base-url",
      gitea.origin,
      "--repo",
      "org/a",
      "--author",
      AUTHOR,
      "--message",
      MESSAGE,
      "--wait",
      "--wait-start",
      "300ms",
      "--json",
      json,
    ],
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  const result = report.results[0];
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "none");
  assert.deepEqual(result?.ci?.contexts, []);
  assert.doesNotMatch(run.stdout, /ci success/);
  // The prediction was right but for the nonce: without it, the pushed
  // commit would have been one of the ids with a green status.
  const tip = await fx.tip(repo) ?? "";
  assert.equal(result?.commit, tip);
  assert.ok(!predicted.has(tip));
  const raw = await rawCommit(fx, repo, tip);
  assert.ok(predicted.has(await commitId(withoutNonce(raw))), raw);
});

Deno.test("push --wait: a green status dated before the push is not believed for our commit: ambiguous, exit 1", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  // A server that holds a green status for whatever commit is asked for,
  // posted (it says) in 2020: as if our commit's id had been guessed.
  await using gitea = await hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.22.6",
    (request) => backdatedGreen(request, "org/a", CONTEXT, ""),
  );
  const json_ = `${fx.root}/r.json`;
  const run = await runCascade(
    [
      "push",
      "0.2",
      "--base-url",
      gitea.origin,
      "--repo",
      "org/a",
      "--wait",
      "--wait-start",
      "300ms",
      "--json",
      json_,
    ],
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json_);
  const ci = report.results[0]?.ci;
  assert.equal(report.results[0]?.status, "updated");
  assert.equal(ci?.state, "ambiguous");
  assert.deepEqual(ci?.contexts, []);
  assert.match(
    ci?.note ?? "",
    /1 status\(es\) on the commit were created before the push/,
  );
  assert.match(run.stdout, /ci ambiguous/);
  assert.match(run.stdout, /CI: 1 ambiguous/);
});

Deno.test("evidence: the server's clock from its Date header; statuses before the push are dropped; what cannot be told is never success", () => {
  const pushedAt = Date.parse("2026-06-01T12:00:00.400Z");
  // The server's clock runs an hour behind ours.
  const skew = clockSkew("Mon, 01 Jun 2026 11:00:01 GMT", pushedAt + 900);
  assert.equal(skew, -3_600_000 + 600 - 900);
  const notBefore = serverNotBefore(pushedAt, skew);
  assert.equal(notBefore, pushedAt + (skew ?? 0) - DATE_SLACK_MS);
  // The statuses of that answer a follow counts.
  const seen: Seen<{ created_at: string }> = { statuses: null, dropped: 0 };
  const kept = keepOurs(
    seen,
    {
      value: {
        statuses: [
          { created_at: "2026-06-01T11:00:00Z" }, // our CI, a second in
          { created_at: "2026-06-01T10:59:00Z" }, // a minute before the push
          { created_at: "2020-01-01T00:00:00Z" },
          { created_at: "yesterday" },
        ],
      },
      date: "Mon, 01 Jun 2026 11:00:01 GMT",
    },
    pushedAt + 900,
    pushedAt,
  );
  assert.deepEqual(kept, [{ created_at: "2026-06-01T11:00:00Z" }]);
  assert.equal(seen.dropped, 3);
  assert.equal(seen.notBefore, notBefore);
  // No Date header (or a hostile one): the documented allowance.
  assert.equal(clockSkew(null, pushedAt), null);
  assert.equal(clockSkew("x".repeat(100), pushedAt), null);
  assert.equal(clockSkew("not a date", pushedAt), null);
  assert.equal(serverNotBefore(pushedAt, null), pushedAt - SKEW_ALLOWANCE_MS);
  const why = "not ours";
  assert.equal(unbelieved({ state: "success" }, 1, why).state, "ambiguous");
  assert.equal(unbelieved({ state: "none" }, 2, why).state, "ambiguous");
  assert.deepEqual(unbelieved({ state: "failure", note: "a" }, 1, why), {
    state: "failure",
    note: "a; not ours",
  });
  assert.deepEqual(unbelieved({ state: "success" }, 0, why), {
    state: "success",
  });
});
