import assert from "node:assert/strict";
import {
  displayValue,
  isCurrent,
  MAX_DISPLAY_LENGTH,
  MAX_VERSION_LENGTH,
  normaliseVersionFilePath,
  parseVersionFile,
  renderVersionFile,
  versionProblem,
} from "../lib/version_file.ts";
import { prng } from "./support/prng.ts";

const ALLOWED =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_!";
const encoder = new TextEncoder();

function genVersion(rand: () => number): string {
  for (;;) {
    const length = 1 + Math.floor(rand() * 20);
    const v = Array.from(
      { length },
      () => ALLOWED[Math.floor(rand() * ALLOWED.length)],
    ).join("");
    if (versionProblem(v) === null) return v;
  }
}

Deno.test("versionProblem() accepts versions and refuses hostile strings", () => {
  for (
    const v of [
      "0.1.7",
      "1.0rc1",
      "0.2.dev3",
      "0.1.7.post1",
      "0.0.0-test-cascade",
      "1!2.0",
      "1.0+local_1",
    ]
  ) {
    assert.equal(versionProblem(v), null, v);
  }
  const bad = [
    "",
    " ",
    "0.1 ",
    "0.1\n",
    "\t1",
    "1\x00",
    "-1",
    "a/b",
    "1..2",
    "$(id)",
    "`id`",
    "1;x",
    "1|x",
    "1&x",
    "1<x",
    "1>x",
    "(1)",
    "1*",
    "1?",
    "'1'",
    '"1"',
    "1\\2",
    "1 2",
    "é1",
    "1".repeat(MAX_VERSION_LENGTH + 1),
  ];
  for (const v of bad) {
    assert.notEqual(versionProblem(v), null, JSON.stringify(v));
  }
  assert.equal(versionProblem("1".repeat(MAX_VERSION_LENGTH)), null);
});

Deno.test("renderVersionFile() then parseVersionFile() round-trips every valid version (seeded)", () => {
  const rand = prng(2026);
  for (let i = 0; i < 3000; i++) {
    const v = genVersion(rand);
    const bytes = renderVersionFile(v);
    assert.equal(new TextDecoder().decode(bytes), `${v}\n`);
    const parsed = parseVersionFile(bytes);
    assert.equal(parsed.value, v);
    assert.ok(isCurrent(parsed, v));
    // Tolerated variations of the same content are current too.
    for (const variant of [v, `${v}\r\n`, ` ${v} \n`, `${v}\n\n`, `\t${v}`]) {
      assert.ok(
        isCurrent(parseVersionFile(encoder.encode(variant)), v),
        JSON.stringify(variant),
      );
    }
    assert.ok(!isCurrent(parseVersionFile(encoder.encode(`${v}x\n`)), v));
  }
});

Deno.test("parseVersionFile() never throws and always displays safely, whatever the bytes (seeded)", () => {
  const rand = prng(99);
  const samples: Uint8Array[] = [
    new Uint8Array(),
    new Uint8Array(1 << 20).fill(0x41),
    new Uint8Array([0xff, 0xfe, 0]),
  ];
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(Math.floor(rand() * 200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    samples.push(bytes);
  }
  for (const bytes of samples) {
    const parsed = parseVersionFile(bytes);
    assert.ok(
      parsed.display.length <= MAX_DISPLAY_LENGTH * 4 + 3,
      `bounded: ${parsed.display.length}`,
    );
    assert.doesNotMatch(
      parsed.display,
      /[\p{Cc}\u2028\u2029]/u,
      "no control characters",
    );
    if (parsed.value !== null && parsed.value !== "") {
      assert.equal(versionProblem(parsed.value), null);
    }
  }
  assert.equal(
    parseVersionFile(new Uint8Array([0, 1, 2])).display,
    "<binary, 3 bytes>",
  );
  assert.equal(displayValue("a\nb\x1b[31m"), "a\\nb\\x1b[31m");
});

Deno.test("normaliseVersionFilePath() keeps the file inside the repo and out of .git", () => {
  assert.equal(
    normaliseVersionFilePath("./a//b/.runtime-version"),
    "a/b/.runtime-version",
  );
  assert.equal(
    normaliseVersionFilePath(".runtime-version"),
    ".runtime-version",
  );
  for (
    const bad of [
      "",
      "/etc/passwd",
      "../x",
      "a/../../x",
      "a/..",
      ".git/config",
      "x/.GIT/y",
      ".Git",
      "a/",
      "C:/x",
      "a\\b",
      "a\nb",
      ".",
      "./",
    ]
  ) {
    const result = normaliseVersionFilePath(bad);
    assert.equal(typeof result, "object", JSON.stringify(bad));
  }
});
