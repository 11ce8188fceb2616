import assert from "node:assert/strict";
import {
  dedupeTargets,
  failedTargetsOf,
  fnv1a,
  parseReposFile,
  parseShard,
  parseTarget,
} from "../lib/targets.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("parseTarget() resolves every target form without credentials", () => {
  const base = "https://git.example.com/";
  const t = (s: string) => parseTarget(s, base, "/work");
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
  assert.equal(t("./local/repo.git").url, "file:///work/local/repo.git");
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

Deno.test("parseShard() and fnv1a()", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  for (const bad of ["0/4", "5/4", "1/0", "a/b", "1", "-1/2"]) {
    assert.throws(() => parseShard(bad), UsageError, bad);
  }
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
});

Deno.test("failedTargetsOf() takes failed and interrupted push results, drifted status results", () => {
  const push = JSON.stringify({
    version: "1",
    results: [
      { url: "u1", status: "failed" },
      { url: "u2", status: "updated" },
      { url: "u3", status: "interrupted" },
      { url: "u4", status: "skipped" },
    ],
  });
  assert.deepEqual(failedTargetsOf(push, "r.json"), {
    targets: ["u1", "u3"],
    version: "1",
  });
  const status = JSON.stringify({
    results: [{ url: "s1", drift: true }, { url: "s2", drift: false }, {
      url: "s3",
      drift: true,
      error: {},
    }],
  });
  assert.deepEqual(failedTargetsOf(status, "s.json").targets, ["s1", "s3"]);
  assert.throws(() => failedTargetsOf("nope", "x.json"), /not a JSON report/);
  assert.throws(() => failedTargetsOf("{}", "x.json"), /has no results/);
});
