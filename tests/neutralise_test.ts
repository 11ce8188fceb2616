import assert from "node:assert/strict";
import {
  forLog,
  forMarkdownCell,
  forTerminal,
} from "../lib/console/neutralise.ts";
import { int, pick, prng } from "./support/prng.ts";

/** What a hostile server might put in a ref name or its error words. */
const HOSTILE = [
  "main",
  "\x1b]52;c;cGF5bG9hZA==\x07",
  "\x1b[2J",
  "\r",
  "\n",
  "\r\n",
  "\t",
  "\x00",
  "\x7f",
  "\x85",
  "\u009b31m",
  "\u2028",
  "\u2029",
  "\u202e",
  "\u2066",
  "\u200f",
  "::error::x",
  "::stop-commands::tok",
  "::add-mask::",
  "  ::warning::",
  "##[group]",
  "###[",
  "|",
  "`",
  "<script>",
  "&amp;",
  "*_~[]()",
  "\\",
  "\u{1f600}",
  "\ud800",
  " ",
  ":",
  "#",
];

function hostileText(rand: () => number): string {
  return Array.from({ length: 1 + int(rand, 6) }, () => pick(rand, HOSTILE))
    .join("");
}

// deno-lint-ignore no-control-regex
const RAW_UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

Deno.test("forTerminal() shows every control, separator and bidi override as a visible escape", () => {
  assert.equal(
    forTerminal("a\x1b]52;c;aGk=\x07b"),
    "a\\x1b]52;c;aGk=\\x07b",
  );
  assert.equal(forTerminal("ok\rFAKE"), "ok\\rFAKE");
  assert.equal(forTerminal("a\nb\tc"), "a\\nb\\tc");
  assert.equal(forTerminal("\x00\x7f\x85\x9b"), "\\x00\\x7f\\x85\\x9b");
  assert.equal(
    forTerminal("\u2028\u2029\u202e\u2066\u200f\u061c"),
    "\\u2028\\u2029\\u202e\\u2066\\u200f\\u061c",
  );
  assert.equal(forTerminal("lone \ud800 half"), "lone \\ud800 half");
  assert.equal(
    forTerminal("caf\u00e9 \u{1f600} a\\nb"),
    "caf\u00e9 \u{1f600} a\\nb",
  );
});

Deno.test("forTerminal() cuts at maxLength without splitting a surrogate pair", () => {
  assert.equal(forTerminal("abcdef", 6), "abcdef");
  assert.equal(forTerminal("abcdefg", 6), "abcdef...");
  // The emoji's two code units straddle the cut: both go.
  assert.equal(forTerminal("abcde\u{1f600}", 6), "abcde...");
  assert.equal(forTerminal("abcd\u{1f600}x", 6), "abcd\u{1f600}...");
  // Cut first, escape after: escapes never get cut in half.
  assert.equal(forTerminal("\x1b\x1b\x1b", 2), "\\x1b\\x1b...");
});

Deno.test("forLog() leaves no workflow command a runner would act on", () => {
  assert.equal(forLog("::error::pwned"), ": :error::pwned");
  assert.equal(forLog("  ::stop-commands::tok"), "  : :stop-commands::tok");
  assert.equal(forLog("::"), ": :");
  assert.equal(forLog("a ::error::x"), "a ::error::x");
  assert.equal(forLog("x##[error]y"), "x# #[error]y");
  assert.equal(forLog("###["), "## #[");
  // A newline cannot start a second line: it is escaped.
  assert.equal(forLog("x\n::add-mask::y"), "x\\n::add-mask::y");
  assert.equal(forLog("\x1b[31m::x"), "\\x1b[31m::x");
});

Deno.test("forMarkdownCell() ends no cell, opens no markup and breaks no line", () => {
  assert.equal(forMarkdownCell("a|b"), "a\\|b");
  assert.equal(forMarkdownCell("a\r\nb\nc\u2028d"), "a b c d");
  assert.equal(
    forMarkdownCell("<img src=x onerror=alert(1)>&"),
    "&lt;img src=x onerror=alert(1)&gt;&amp;",
  );
  assert.equal(
    forMarkdownCell("`a`*b*_c_~d~[e](f)"),
    "\\`a\\`\\*b\\*\\_c\\_\\~d\\~\\[e\\](f)",
  );
  assert.equal(forMarkdownCell("a\\b"), "a\\\\b");
  // The escape forTerminal writes is itself escaped, so it renders as typed.
  assert.equal(forMarkdownCell("\x1b[1m"), "\\\\x1b\\[1m");
  assert.equal(forMarkdownCell("abcdef", 3), "abc...");
});

Deno.test("neutralised text holds no raw control, command or markup (seeded)", () => {
  const rand = prng(52);
  for (let i = 0; i < 2000; i++) {
    const text = hostileText(rand);
    const shown = JSON.stringify(text);
    for (
      const out of [forTerminal(text), forLog(text), forMarkdownCell(text)]
    ) {
      assert.doesNotMatch(out, RAW_UNSAFE, shown);
      assert.equal(out.isWellFormed(), true, shown);
    }
    const log = forLog(text);
    assert.doesNotMatch(log, /^\s*::/, shown);
    assert.equal(log.includes("##["), false, shown);
    const cell = forMarkdownCell(text);
    // Every '|' and '`' is escaped by an odd run of backslashes.
    assert.doesNotMatch(cell, /(^|[^\\])(\\\\)*[|`*_[\]]/, shown);
    assert.doesNotMatch(cell, /[<>]/, shown);
    assert.doesNotMatch(cell, /&(?!amp;|lt;|gt;)/, shown);
  }
});
