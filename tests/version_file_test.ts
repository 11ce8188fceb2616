import assert from "node:assert/strict";
import {
  DEFAULT_VERSION_FILE,
  isCurrent,
  normaliseVersionFilePath,
  parseVersionFile,
  renderVersionFile,
  versionProblem,
} from "../lib/version/file.ts";
import { int, pick, prng, type Rand } from "./support/prng.ts";

const encoder = new TextEncoder();
/** The longest version taken (the module's documented limit). */
const MAX_VERSION_LENGTH = 128;
/** Where a displayed value is cut (the module's documented limit). */
const MAX_DISPLAY_LENGTH = 64;
const ALLOWED =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_!";
const SHELL = "$`;|&<>()*?'\"\\ ";
/** Escaped every way a display may show a character. */
const DISPLAY_BOUND = MAX_DISPLAY_LENGTH * "\\u2028".length + "...".length;

/** A valid version of 1 to `max` characters from the allowed alphabet. */
function genVersion(rand: Rand, max = 24): string {
  for (;;) {
    const v = Array.from(
      { length: 1 + int(rand, max) },
      () => pick(rand, [...ALLOWED]),
    ).join("");
    if (versionProblem(v) === null) return v;
  }
}

function parseText(text: string) {
  return parseVersionFile(encoder.encode(text));
}

/**
 * How a version file shows `text` (short, and between brackets so that
 * the file's trim keeps its ends): the display, brackets removed.
 */
function displayValue(text: string): string {
  const shown = parseText(`[${text}]`).display;
  assert.ok(shown.startsWith("[") && shown.endsWith("]"), shown);
  return shown.slice(1, -1);
}

/** What a safe display looks like, whatever the input. */
function assertSafeDisplay(display: string, what: string): void {
  assert.ok(display.length <= DISPLAY_BOUND, `${what}: ${display.length}`);
  assert.doesNotMatch(display, /[\p{Cc}\u2028\u2029]/u, `${what}: controls`);
  assert.ok(display.isWellFormed(), `${what}: lone surrogate`);
}

// --- versionProblem() -----------------------------------------------------

Deno.test("versionProblem() accepts letters, digits and .+-_! versions", () => {
  for (
    const v of [
      "0.1.7",
      "1.0rc1",
      "0.2.dev3",
      "0.1.7.post1",
      "0.0.0-test-cascade",
      "1!2.0",
      "1.0+local_1",
      "v1.2.3",
      "1".repeat(MAX_VERSION_LENGTH),
    ]
  ) {
    assert.equal(versionProblem(v), null, v);
  }
});

Deno.test("versionProblem() says why it refuses a version", () => {
  assert.equal(versionProblem(""), "the version is empty");
  assert.equal(
    versionProblem("1".repeat(MAX_VERSION_LENGTH + 1)),
    `the version is longer than ${MAX_VERSION_LENGTH} characters`,
  );
  assert.equal(versionProblem("-1"), "the version starts with '-'");
  assert.equal(versionProblem("--help"), "the version starts with '-'");
  assert.equal(versionProblem("1..2"), "the version contains '..'");
  assert.equal(
    versionProblem("a/b"),
    'the version contains "/": only letters, digits and . + - _ ! are allowed',
  );
  assert.equal(
    versionProblem("1\n"),
    'the version contains "\\n": only letters, digits and . + - _ ! are allowed',
  );
});

Deno.test("versionProblem() refuses whitespace, controls, shell metacharacters and non-ASCII", () => {
  const hostile = [
    ...SHELL,
    "/",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x1b",
    "\x7f",
    "\x9b",
    "\u00a0",
    "\u2028",
    "\u202e",
    "é",
    "１",
    "\u{1f600}",
    "#",
    "~",
    "^",
    ":",
    "@",
    "{",
    "[",
    "=",
    ",",
    "%",
  ];
  for (const ch of hostile) {
    for (const v of [ch, `1${ch}`, `${ch}1`, `1${ch}2`]) {
      const problem = versionProblem(v);
      assert.notEqual(problem, null, JSON.stringify(v));
      assert.ok(problem?.includes(JSON.stringify(ch)), JSON.stringify(v));
    }
  }
  for (let code = 0; code < 0x20; code++) {
    assert.notEqual(versionProblem(`1${String.fromCharCode(code)}`), null);
  }
  for (const v of [" ", "  ", " 0.1.7", "0.1.7 ", "$(id)", "`id`", "'1'"]) {
    assert.notEqual(versionProblem(v), null, JSON.stringify(v));
  }
});

Deno.test("versionProblem() accepts exactly the allowed strings (seeded)", () => {
  const rand = prng(1);
  const alphabet = [...ALLOWED, ...SHELL, "/", "\n", "\x00", "é", ".", "-"];
  for (let i = 0; i < 5000; i++) {
    const length = rand() < 0.02
      ? MAX_VERSION_LENGTH + int(rand, 3) - 1
      : int(rand, 12);
    const v = Array.from({ length }, () => pick(rand, alphabet)).join("");
    const ok = v.length >= 1 && v.length <= MAX_VERSION_LENGTH &&
      /^[A-Za-z0-9.+\-_!]+$/.test(v) && !v.startsWith("-") &&
      !v.includes("..");
    assert.equal(versionProblem(v) === null, ok, JSON.stringify(v));
  }
});

// --- renderVersionFile(), parseVersionFile(), isCurrent() -----------------

Deno.test("renderVersionFile() writes the version and one newline", () => {
  assert.deepEqual(renderVersionFile("0.1.7"), encoder.encode("0.1.7\n"));
  assert.equal(DEFAULT_VERSION_FILE, ".runtime-version");
});

Deno.test("parseVersionFile() tolerates \\r, spaces, blank lines and a missing newline", () => {
  for (
    const text of [
      "0.1.7\n",
      "0.1.7",
      "0.1.7\r\n",
      "0.1.7\r",
      "  0.1.7  \n",
      "\t0.1.7\t",
      "0.1.7\n\n\n",
      "\n0.1.7\n",
      "\ufeff0.1.7\n", // a UTF-8 byte order mark is dropped by the decoder
    ]
  ) {
    const parsed = parseText(text);
    assert.deepEqual(parsed, { value: "0.1.7", display: "0.1.7" }, text);
    assert.ok(isCurrent(parsed, "0.1.7"), JSON.stringify(text));
    assert.ok(!isCurrent(parsed, "0.1.8"), JSON.stringify(text));
  }
});

Deno.test("parseVersionFile() reads empty, multi-line, hostile and binary files", () => {
  assert.deepEqual(parseText(""), { value: "", display: "" });
  assert.deepEqual(parseText(" \r\n\t\n"), { value: "", display: "" });
  assert.ok(!isCurrent(parseText(""), "0.1.7"));
  assert.deepEqual(parseText("0.1.7\n0.1.8\n"), {
    value: null,
    display: "0.1.7\\n0.1.8",
  });
  assert.deepEqual(parseText("0.1.7 # pinned"), {
    value: null,
    display: "0.1.7 # pinned",
  });
  assert.deepEqual(parseText("$(reboot)\n"), {
    value: null,
    display: "$(reboot)",
  });
  assert.deepEqual(parseText("\x1b]0;owned\x07\n"), {
    value: null,
    display: "\\x1b]0;owned\\x07",
  });
  assert.deepEqual(parseText("0.1.7\x00"), {
    value: null,
    display: "<binary, 6 bytes>",
  });
  assert.deepEqual(parseVersionFile(new Uint8Array([0x30, 0xff, 0x0a])), {
    value: null,
    display: "<binary, 3 bytes>",
  });
  assert.ok(!isCurrent(parseText("0.1.7\x00"), "0.1.7"));
});

Deno.test("parseVersionFile() escapes C1 controls and never splits a surrogate pair", () => {
  // U+009B is CSI to terminals that read C1 controls.
  assert.equal(parseText("\u009b31mred").display, "\\x9b31mred");
  const emoji = parseText(`${"a".repeat(MAX_DISPLAY_LENGTH - 1)}\u{1f600}`);
  assert.equal(emoji.display, `${"a".repeat(MAX_DISPLAY_LENGTH - 1)}...`);
});

Deno.test("parseVersionFile() displays values with controls escaped, long ones cut", () => {
  assert.equal(displayValue("a\nb\r\tc\x1b[31m"), "a\\nb\\r\\tc\\x1b[31m");
  assert.equal(displayValue("a\u2028b\u2029"), "a\\u2028b\\u2029");
  assert.equal(displayValue("\x85\x9f"), "\\x85\\x9f");
  const shown = (text: string) => parseText(text).display;
  assert.equal(shown("x".repeat(MAX_DISPLAY_LENGTH)), "x".repeat(64));
  assert.equal(
    shown("x".repeat(MAX_DISPLAY_LENGTH + 1)),
    `${"x".repeat(MAX_DISPLAY_LENGTH)}...`,
  );
  assertSafeDisplay(shown("\x00".repeat(1000)), "NULs");
});

Deno.test("every valid version rendered then parsed gives itself and is current (seeded)", () => {
  const rand = prng(2026);
  const padding = ["", " ", "\t", "\r", "\n", "\r\n", "  \r\n\n"];
  for (let i = 0; i < 5000; i++) {
    const v = genVersion(rand, rand() < 0.05 ? MAX_VERSION_LENGTH : 24);
    const parsed = parseVersionFile(renderVersionFile(v));
    assert.equal(parsed.value, v);
    assert.ok(isCurrent(parsed, v), v);
    if (v.length <= MAX_DISPLAY_LENGTH) assert.equal(parsed.display, v);
    else assert.equal(parsed.display, `${v.slice(0, 64)}...`);
    const padded = pick(rand, padding) + v + pick(rand, padding);
    assert.ok(isCurrent(parseText(padded), v), JSON.stringify(padded));
    const other = genVersion(rand);
    assert.equal(isCurrent(parsed, other), other === v);
    assert.ok(!isCurrent(parseText(`${v}\n${v}\n`), v));
  }
});

/** Random content: raw bytes, or text built to reach the decoder's corners. */
function genBytes(rand: Rand): Uint8Array {
  const length = int(rand, 300);
  const roll = rand();
  if (roll < 0.3) {
    return Uint8Array.from({ length }, () => int(rand, 256));
  }
  if (roll < 0.6) {
    // ASCII with every control character.
    return Uint8Array.from({ length }, () => int(rand, 128));
  }
  // Valid UTF-8 with C0/C1 controls, line separators, bidi overrides,
  // astral characters and version-like runs.
  const pieces = [
    "\u0085",
    "\u009b",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\u{1f600}",
    "é",
    "\x1b",
    "\r",
    "\n",
    " ",
    "0.1.7",
    "1.0rc1",
    "\x00",
  ];
  let text = "";
  while (text.length < length) {
    text += rand() < 0.5
      ? pick(rand, pieces)
      : String.fromCodePoint(int(rand, 0xd800));
  }
  return encoder.encode(text);
}

Deno.test("parseVersionFile() never throws and displays any bytes safely (seeded)", () => {
  const rand = prng(99);
  const mib = 1 << 20;
  const samples: Uint8Array[] = [
    new Uint8Array(),
    new Uint8Array(mib).fill(0x31), // "111...": too long to be a version
    new Uint8Array(mib).fill(0x20), // spaces only
    new Uint8Array(mib).fill(0x1b),
    encoder.encode("\u{1f600}".repeat(mib / 4)),
    encoder.encode("\u009b".repeat(mib / 2)),
    Uint8Array.from({ length: mib }, () => int(rand, 256)),
  ];
  for (let i = 0; i < 5000; i++) samples.push(genBytes(rand));
  for (const bytes of samples) {
    const parsed = parseVersionFile(bytes);
    assertSafeDisplay(parsed.display, `${bytes.length} bytes`);
    if (parsed.value !== null && parsed.value !== "") {
      assert.equal(versionProblem(parsed.value), null, parsed.value);
      assert.ok(isCurrent(parsed, parsed.value));
    }
  }
  assert.deepEqual(parseVersionFile(samples[1] ?? new Uint8Array()), {
    value: null,
    display: `${"1".repeat(MAX_DISPLAY_LENGTH)}...`,
  });
  assert.deepEqual(parseVersionFile(samples[2] ?? new Uint8Array()), {
    value: "",
    display: "",
  });
});

// --- normaliseVersionFilePath() -------------------------------------------

Deno.test("normaliseVersionFilePath() normalises relative paths", () => {
  assert.equal(normaliseVersionFilePath("./a//b"), "a/b");
  assert.equal(normaliseVersionFilePath("a/./b"), "a/b");
  assert.equal(
    normaliseVersionFilePath(".runtime-version"),
    ".runtime-version",
  );
  assert.equal(normaliseVersionFilePath(".github/version"), ".github/version");
  assert.equal(normaliseVersionFilePath("x/.gitignore"), "x/.gitignore");
  assert.equal(normaliseVersionFilePath("git/v"), "git/v");
  assert.equal(normaliseVersionFilePath("a..b/..c"), "a..b/..c");
});

Deno.test("normaliseVersionFilePath() refuses paths outside the repo or in .git", () => {
  const refusals: [string, string][] = [
    ["", "--file is empty"],
    ["/etc/passwd", "--file must be relative to the repo root"],
    ["//x", "--file must be relative to the repo root"],
    ["C:/x", "--file must be relative to the repo root"],
    ["c:x", "--file must be relative to the repo root"],
    ["..", "--file must stay inside the repo (no '..')"],
    ["../x", "--file must stay inside the repo (no '..')"],
    ["a/../../x", "--file must stay inside the repo (no '..')"],
    ["a/../b", "--file must stay inside the repo (no '..')"],
    [".git", "--file must not point into .git"],
    [".git/config", "--file must not point into .git"],
    ["x/.GIT/y", "--file must not point into .git"],
    ["./.gIt/hooks/pre-commit", "--file must not point into .git"],
    [".", "--file names no file"],
    ["./", "--file names no file"],
    ["a/", "--file names a directory"],
    ["a\\b", "--file contains control characters or a backslash"],
    ["..\\x", "--file contains control characters or a backslash"],
    ["a\nb", "--file contains control characters or a backslash"],
    ["a\x00", "--file contains control characters or a backslash"],
    ["a\x7f", "--file contains control characters or a backslash"],
  ];
  for (const [path, problem] of refusals) {
    assert.deepEqual(
      normaliseVersionFilePath(path),
      { problem },
      JSON.stringify(path),
    );
  }
});

Deno.test("normaliseVersionFilePath() keeps every accepted path inside the repo (seeded)", () => {
  const rand = prng(5);
  const segments = [
    "a",
    "b",
    "v.txt",
    ".",
    "..",
    "",
    ".git",
    ".GIT",
    ".Git",
    "git",
    ".github",
    ".gitignore",
    "..a",
  ];
  for (let i = 0; i < 5000; i++) {
    const parts = Array.from(
      { length: 1 + int(rand, 5) },
      () => pick(rand, segments),
    );
    const path = (rand() < 0.1 ? "/" : "") + parts.join("/");
    const kept = parts.filter((s) => s !== "" && s !== ".");
    const refused = path === "" || path.startsWith("/") ||
      kept.length === 0 || kept.includes("..") ||
      kept.some((s) => s.toLowerCase() === ".git") || path.endsWith("/");
    const result = normaliseVersionFilePath(path);
    if (refused) {
      assert.equal(typeof result, "object", JSON.stringify(path));
      continue;
    }
    assert.equal(result, kept.join("/"), JSON.stringify(path));
    assert.equal(typeof result, "string");
    const normal = String(result);
    assert.ok(!normal.startsWith("/") && !normal.includes("//"), normal);
    for (const s of normal.split("/")) {
      assert.ok(s !== "." && s !== ".." && s.toLowerCase() !== ".git", normal);
    }
    assert.equal(normaliseVersionFilePath(normal), normal, "idempotent");
  }
});

Deno.test("parseVersionFile() displays bidirectional overrides escaped", () => {
  assert.equal(displayValue("1.0\u202e9.9"), "1.0\\u202e9.9");
  assert.equal(displayValue("\u2066x\u2069"), "\\u2066x\\u2069");
});
