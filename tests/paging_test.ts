import assert from "node:assert/strict";
import { lastPage, nextLink } from "../lib/forge/paging.ts";
import { ForgeError } from "../lib/forge/forge_error.ts";

const BASE = new URL("http://127.0.0.1:3000/api/v1/repos/o/r/topics?page=1");

function answer(headers: Record<string, string>) {
  return { headers: new Headers(headers), url: BASE };
}

Deno.test("lastPage reads rel=last's page number, whatever origin Link names", () => {
  const link =
    '<https://other.example/api/v1/x?limit=50&page=2>; rel="next", ' +
    '<https://other.example/api/v1/x?limit=50&page=7>; rel="last"';
  assert.equal(lastPage(answer({ link }), 50, 50), 7);
  // rel may list several relations, and without quotes.
  assert.equal(
    lastPage(answer({ link: "</x?page=4>; rel=last" }), 50, 50),
    4,
  );
  assert.equal(
    lastPage(answer({ link: '</x?page=3#f>; rel="prev last"' }), 50, 50),
    3,
  );
  // page=0 is no fewer than one page.
  assert.equal(lastPage(answer({ link: '</x?page=0>; rel="last"' }), 0, 50), 1);
});

Deno.test("lastPage ignores a rel=last without a plain page number", () => {
  // "xpage=9" is not page=9; a 7-digit page is not read; the header's
  // X-Total-Count decides then.
  for (const target of ["/x?xpage=9", "/x?page=1234567", "/x?page=9x"]) {
    const link = `<${target}>; rel="last"`;
    assert.equal(
      lastPage(answer({ link, "x-total-count": "120" }), 50, 50),
      3,
      target,
    );
    assert.equal(lastPage(answer({ link }), 50, 50), 1, target);
  }
});

Deno.test("lastPage divides X-Total-Count by the page size the server used", () => {
  assert.equal(lastPage(answer({ "x-total-count": "101" }), 50, 50), 3);
  assert.equal(lastPage(answer({ "x-total-count": "100" }), 50, 50), 2);
  assert.equal(lastPage(answer({ "x-total-count": " 0 " }), 0, 50), 1);
  // The server capped the page at 30 (fewer than asked, more exist).
  assert.equal(lastPage(answer({ "x-total-count": "61" }), 30, 50), 3);
  // Fewer than asked and that is all: one page.
  assert.equal(lastPage(answer({ "x-total-count": "30" }), 30, 50), 1);
});

Deno.test("lastPage refuses hostile counts and falls back to rel=next", () => {
  for (const total of ["-5", "1e9", "9999999999", "12abc", ""]) {
    assert.equal(
      lastPage(answer({ "x-total-count": total }), 50, 50),
      1,
      total,
    );
    assert.equal(
      lastPage(
        answer({ "x-total-count": total, link: '</x?p=2>; rel="next"' }),
        50,
        50,
      ),
      null,
      total,
    );
  }
  assert.equal(lastPage(answer({}), 50, 50), 1);
});

Deno.test("a Link header longer than 16 KiB is refused as invalid", () => {
  const link = `<${"/x".repeat(9000)}>; rel="next"`;
  assert.throws(
    () => lastPage(answer({ link }), 50, 50),
    (e: unknown) =>
      e instanceof ForgeError && e.kind === "invalid" &&
      e.message.includes("Link header longer than 16384 characters"),
  );
  assert.throws(() => nextLink(link, BASE), ForgeError);
});

Deno.test("nextLink resolves rel=next against the base, or gives null", () => {
  assert.equal(
    nextLink('</api/v1/x?page=2>; rel="next"', BASE)?.href,
    "http://127.0.0.1:3000/api/v1/x?page=2",
  );
  assert.equal(nextLink('</x?page=2>; rel="nextish"', BASE), null);
  assert.equal(nextLink("garbage, <no-rel>", BASE), null);
  assert.equal(nextLink(null, BASE), null);
  assert.equal(nextLink('<http://[bad>; rel="next"', BASE), null);
});

Deno.test("nextLink finds rel=next after a long run of empty entries", () => {
  const hostile = ",".repeat(16000) + '</y>; rel="next"';
  assert.equal(nextLink(hostile, BASE)?.pathname, "/y");
});
