import assert from "node:assert/strict";
import {
  dedupeTargets,
  parseReposFile,
  parseShard,
  parseTarget,
  readEarlierReport,
  shardTargets,
  type Target,
} from "../lib/targets/target.ts";

/**
 * The shard (1-based) of `count` a target with `key` lands in. With 65536
 * and 65537 shards, the two answers pin the 32-bit hash exactly.
 */
function shardOf(key: string, count: number): number {
  const target = { ...parseTarget("o/r", "https://h/", "/"), key } as Target;
  for (let index = 1; index <= count; index++) {
    if (shardTargets([target], { index, count }).length === 1) return index;
  }
  return 0;
}
import { UsageError } from "../lib/errors.ts";

Deno.test("parseTarget() resolves every target form without credentials", () => {
  const base = "https://git.example.com/";
  const t = (s: string) => parseTarget(s, base, "/cwd");
  assert.deepEqual(
    [t("acme/tpl").url, t("acme/tpl").repo],
    ["https://git.example.com/acme/tpl.git", "acme/tpl"],
  );
  const embedded = t("https://bot:tok@git.example.com/acme/x.git");
  assert.equal(embedded.url, "https://git.example.com/acme/x.git");
  assert.equal(embedded.repo, "https://git.example.com/acme/x.git");
  assert.deepEqual(embedded.embedded, { user: "bot", password: "tok" });
  assert.equal(embedded.origin, "https://git.example.com");
  assert.equal(t("git@git.example.com:acme/x.git").scheme, "ssh");
  assert.equal(t("ssh://git@git.example.com:2222/acme/x.git").scheme, "ssh");
  assert.equal(t("./local/repo.git").url, "file:///cwd/local/repo.git");
  assert.equal(t("/srv/a b.git").url, "file:///srv/a%20b.git");
  assert.equal(t("file:///srv/x.git").url, "file:///srv/x.git");
  assert.throws(() => parseTarget("acme/tpl", undefined, "/"), UsageError);
  assert.throws(() => t("ftp://x/y"), /unsupported scheme/);
  assert.throws(() => t("just-a-word"), /not a URL/);
});

Deno.test("dedupeTargets() keeps the first of equivalent targets", () => {
  const base = "https://Git.Example.com";
  const list = [
    "acme/a",
    "https://git.example.com/acme/a.git",
    "https://GIT.example.com/acme/a/",
    "acme/b",
    "/x/y.git",
    "file:///x/y",
  ]
    .map((s) => parseTarget(s, base, "/"));
  assert.deepEqual(dedupeTargets(list).map((t) => t.repo), [
    "acme/a",
    "acme/b",
    "/x/y.git",
  ]);
});

Deno.test("parseReposFile() trims, skips blanks and comments", () => {
  assert.deepEqual(parseReposFile("# c\n\n  a/b  \r\n#x/y\nc/d\n"), [
    "a/b",
    "c/d",
  ]);
});

Deno.test("parseShard() and shardTargets() by 32-bit FNV-1a of the key", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  for (const bad of ["0/4", "5/4", "1/0", "a/b", "1", "-1/2"]) {
    assert.throws(() => parseShard(bad), UsageError, bad);
  }
  // FNV-1a("") is 0x811c9dc5, FNV-1a("a") is 0xe40c292c: their shards of
  // 65536 and 65537 are the hash modulo those, plus one.
  const fnv = (hash: number) => [hash % 65536 + 1, hash % 65537 + 1];
  assert.deepEqual([shardOf("", 65536), shardOf("", 65537)], fnv(0x811c9dc5));
  assert.deepEqual(
    [shardOf("a", 65536), shardOf("a", 65537)],
    fnv(0xe40c292c),
  );
});

Deno.test("readEarlierReport() takes what did not reach a final state: failed, interrupted, aborted skips; drifted and unreadable status results", () => {
  const push = JSON.stringify({
    version: "1",
    options: { probe: ["Dockerfile"] },
    results: [
      { repo: "o/u1", url: "u1", status: "failed" },
      { url: "u2", status: "updated" },
      { url: "u3", status: "interrupted" },
      { url: "u4", status: "skipped", skip: "probe", reason: "not wired" },
      { url: "u5", status: "skipped", skip: "aborted", reason: "x" },
      { url: "u6", status: "skipped", skip: "downgrade", reason: "x" },
      { url: "u7", status: "skipped", reason: "not attempted: credentials" },
    ],
  });
  const earlier = readEarlierReport(push, "r.json");
  assert.deepEqual(earlier.targets.map((t) => t.url), ["u1", "u3", "u5", "u7"]);
  assert.deepEqual(earlier.targets[0], { repo: "o/u1", url: "u1" });
  assert.equal(earlier.version, "1");
  assert.deepEqual(earlier.options, { probe: ["Dockerfile"] });
  const status = JSON.stringify({
    results: [{ url: "s1", drift: true }, { url: "s2", drift: false }, {
      url: "s3",
      drift: true,
      error: {},
    }, { url: "s4", drift: false, skipped: true, reason: "not wired" }],
  });
  assert.deepEqual(
    readEarlierReport(status, "s.json").targets.map((t) => t.url),
    ["s1", "s3"],
  );
  assert.deepEqual(readEarlierReport(status, "s.json").options, {});
  assert.throws(() => readEarlierReport("nope", "x.json"), /not a JSON report/);
  assert.throws(() => readEarlierReport("{}", "x.json"), /has no results/);
});
