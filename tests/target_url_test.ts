import assert from "node:assert/strict";
import { resolveTargetUrl } from "../lib/forge/target_url.ts";

const ORIGIN = "http://127.0.0.1:3000";

Deno.test("an absolute http(s) target_url is kept as it is", () => {
  assert.equal(
    resolveTargetUrl("https://ci.example/run/1", ORIGIN),
    "https://ci.example/run/1",
  );
  assert.equal(
    resolveTargetUrl("HTTP://ci.example/x", undefined),
    "HTTP://ci.example/x",
  );
});

Deno.test("a path resolves against the API's origin", () => {
  assert.equal(
    resolveTargetUrl("/org/app/actions/runs/3/jobs/0", ORIGIN),
    "http://127.0.0.1:3000/org/app/actions/runs/3/jobs/0",
  );
  // The origin's own path is not kept: Gitea's paths are from the root.
  assert.equal(
    resolveTargetUrl("/o/r", "http://127.0.0.1:3000/gitea/"),
    "http://127.0.0.1:3000/o/r",
  );
  assert.equal(resolveTargetUrl("/o/r", undefined), null);
});

Deno.test("hostile target_urls give no link", () => {
  for (
    const raw of [
      "//evil.example/x",
      "/\\evil.example/x",
      "javascript:alert(1)",
      "data:text/html,hi",
      "file:///etc/passwd",
      "relative/path",
      "",
      "https://",
      "ftp://host/x",
    ]
  ) {
    assert.equal(resolveTargetUrl(raw, ORIGIN), null, raw);
  }
});
