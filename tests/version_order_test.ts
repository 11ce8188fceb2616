/**
 * Version order through its interface, `compareVersions`: PEP 440 when
 * both parse as PEP 440, else SemVer, else null. Whether a string parses,
 * and how SemVer orders two strings that are PEP 440 too, are asked of it
 * with a partner that only one scheme reads (see the helpers).
 */

import assert from "node:assert/strict";
import { compareVersions, type VersionScheme } from "../lib/version/order.ts";
import { int, pick, prng, type Rand } from "./support/prng.ts";

type Order = -1 | 0 | 1;

/** What a PEP 440 version means (the generators' own record). */
interface Pep440 {
  epoch: bigint;
  release: bigint[];
  pre: { label: "a" | "b" | "rc"; n: bigint } | null;
  post: bigint | null;
  dev: bigint | null;
  local: string[] | null;
}

/** What a SemVer version means (the generators' own record). */
interface Semver {
  major: bigint;
  minor: bigint;
  patch: bigint;
  prerelease: string[];
  build: string[];
}

/** PEP 440 and not SemVer (no patch). */
const PEP440_ONLY = "0";
/** SemVer and not PEP 440 (`x--y` is no PEP 440 pre-release). */
const SEMVER_ONLY = "0.0.0-x--y";

/** Whether `text` parses as PEP 440: ordered against a PEP-440-only one. */
function isPep440(text: string): boolean {
  return compareVersions(text, PEP440_ONLY) !== null;
}

/** Whether `text` parses as SemVer: ordered against a SemVer-only one. */
function isSemver(text: string): boolean {
  return compareVersions(text, SEMVER_ONLY) !== null;
}

/**
 * `text` with build metadata PEP 440 refuses as a local part (`x--y`):
 * SemVer ignores build metadata in order, so only SemVer reads it, the
 * same.
 */
function semverOnly(text: string): string {
  return text.includes("+") ? `${text}.x--y` : `${text}+x--y`;
}

/** How SemVer orders `a` and `b`, even where both are PEP 440 too. */
function semverOrder(a: string, b: string): Order | null {
  const result = compareVersions(semverOnly(a), semverOnly(b));
  if (result === null) return null;
  assert.equal(result.scheme, "semver", `${a} vs ${b}`);
  return result.order;
}

/** Asserts `a` orders as `order` against `b` (and the reverse) by `scheme`. */
function assertOrder(
  a: string,
  order: Order,
  b: string,
  scheme: VersionScheme,
): void {
  assert.deepEqual(compareVersions(a, b), { order, scheme }, `${a} vs ${b}`);
  assert.deepEqual(
    compareVersions(b, a),
    { order: -order || 0, scheme },
    `${b} vs ${a}`,
  );
}

function assertAscending(chain: string[], scheme: VersionScheme): void {
  for (const [i, a] of chain.entries()) {
    for (const b of chain.slice(i + 1)) assertOrder(a, -1, b, scheme);
  }
}

// --- Examples -------------------------------------------------------------

Deno.test("compareVersions() orders the key PEP 440 cases", () => {
  assertOrder("0.1.7", -1, "0.1.8", "pep440");
  assertOrder("1.0rc1", -1, "1.0", "pep440");
  assertAscending(["0.2.dev3", "0.2a1", "0.2"], "pep440");
  assertOrder("0.1.7", -1, "0.1.7.post1", "pep440");
  assertOrder("1.0", 0, "1.0.0", "pep440");
  assertOrder("0.1.10", 1, "0.1.9", "pep440");
});

Deno.test("compareVersions() orders a full PEP 440 chain", () => {
  assertAscending([
    "0.1.6",
    "0.1.7.dev1",
    "0.1.7a1.dev1",
    "0.1.7a1",
    "0.1.7a1.post1",
    "0.1.7b2",
    "0.1.7rc1",
    "0.1.7",
    "0.1.7+abc",
    "0.1.7+abc.1",
    "0.1.7+1",
    "0.1.7+2",
    "0.1.7+10",
    "0.1.7.post1.dev1",
    "0.1.7.post1",
    "0.1.8",
    "1.0",
    "1!0.1",
    "2!0.0.1",
  ], "pep440");
  assertOrder(
    "99999999999999999999.0",
    1,
    "99999999999999999998.9",
    "pep440",
  );
});

Deno.test("compareVersions() normalises PEP 440 spellings, case, separators and numbers", () => {
  const same: [string, string][] = [
    ["1.0-alpha-1", "1.0a1"],
    ["1.0.ALPHA.1", "1.0a1"],
    ["1.0beta_2", "1.0b2"],
    ["1.0c1", "1.0rc1"],
    ["1.0pre1", "1.0rc1"],
    ["1.0-preview.1", "1.0rc1"],
    ["1.0a", "1.0a0"],
    ["1.0-1", "1.0.post1"],
    ["1.0rev1", "1.0.post1"],
    ["1.0-r_1", "1.0.post1"],
    ["1.0.post", "1.0.post0"],
    ["1.0-dev", "1.0.dev0"],
    ["V1.0", "1.0"],
    [" 1.0\n", "1.0"],
    ["0!1.0", "1.0"],
    ["01.002", "1.2"],
    ["1.0+Ubuntu-01", "1.0+ubuntu.1"],
  ];
  for (const [a, b] of same) {
    assert.ok(isPep440(a), a);
    assertOrder(a, 0, b, "pep440");
  }
  // Epoch 1, release 2.0, rc3, post 4, dev 5, local "local.7": the
  // canonical spelling, and each part told from its neighbours.
  const full = "v1!2.0rc3.post4.dev5+Local-7";
  assertOrder(full, 0, "1!2.0rc3.post4.dev5+local.7", "pep440");
  for (
    const lower of [
      "2.0rc3.post4.dev5+local.7",
      "1!2.0rc2.post4.dev5+local.7",
      "1!2.0rc3.post3.dev5+local.7",
      "1!2.0rc3.post4.dev4+local.7",
      "1!2.0rc3.post4.dev5+local.6",
      "1!1.9",
    ]
  ) {
    assertOrder(lower, -1, full, "pep440");
  }
  for (
    const bad of [
      "",
      "v",
      "abc",
      "1.",
      "1..0",
      "1.0-",
      "1.0+",
      "1.0+a..b",
      "1.0+a_",
      "1.0.0-test-cascade",
      "1.0a1b2",
      "1.0 a1",
      "1.0é",
      "１.0",
    ]
  ) {
    assert.equal(isPep440(bad), false, JSON.stringify(bad));
  }
});

Deno.test("SemVer follows the SemVer 2.0.0 §11 example chain", () => {
  const chain = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
  ];
  for (const [i, a] of chain.entries()) {
    for (const b of chain.slice(i + 1)) {
      assert.ok(isSemver(a) && isSemver(b), `${a}, ${b}`);
      assert.equal(semverOrder(a, b), -1, `${a} < ${b}`);
      assert.equal(semverOrder(b, a), 1, `${b} > ${a}`);
      // Some of these parse as PEP 440 too; the order agrees here.
      assert.equal(compareVersions(a, b)?.order, -1, `${a} < ${b}`);
    }
  }
  assertAscending(["1.0.0", "2.0.0", "2.1.0", "2.1.1"], "pep440");
});

Deno.test("compareVersions() falls back to SemVer: 0.0.0-test-cascade < 0.0.0", () => {
  assertOrder("0.0.0-test-cascade", -1, "0.0.0", "semver");
  assertAscending([
    "0.0.0-test-cascade",
    "0.0.0-test-cascade.2",
    "0.0.0-test-cascade.11",
    "0.0.0-test-cascade.x",
    "0.0.1-0.x",
    "0.0.1-x.7.z.92",
  ], "semver");
  assertOrder("1.0.0-x+001", 0, "1.0.0-x+999", "semver");
  assertOrder(
    "1.0.0-x.99999999999999999999",
    1,
    "1.0.0-x.99999999999999999998",
    "semver",
  );
});

Deno.test("SemVer is strict SemVer 2.0.0", () => {
  // 1.2.3, pre-release rc.1, build build.001 (which order ignores).
  const full = "1.2.3-rc.1+build.001";
  assert.ok(isSemver(full));
  assert.equal(semverOrder(full, "1.2.3-rc.1"), 0);
  assert.equal(semverOrder(full, "1.2.3-rc.1+other"), 0);
  for (const higher of ["1.2.3-rc.2", "1.2.3-rc.1.0", "1.2.3", "1.2.4"]) {
    assert.equal(semverOrder(full, higher), -1, higher);
  }
  for (const lower of ["1.2.3-rc.0", "1.2.3-rc", "1.2.3-1", "1.2.2"]) {
    assert.equal(semverOrder(full, lower), 1, lower);
  }
  for (
    const good of [
      "0.0.0",
      "1.0.0-0A.is.legal",
      "1.0.0-x-y-z.--",
      "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
      "1.0.0-alpha+001",
    ]
  ) {
    assert.ok(isSemver(good), good);
  }
  for (
    const bad of [
      "",
      "1",
      "1.0",
      "1.0.0.0",
      "v1.0.0",
      " 1.0.0",
      "01.0.0",
      "1.01.0",
      "1.0.01",
      "1.0.0-01",
      "1.0.0-",
      "1.0.0+",
      "1.0.0-a..b",
      "1.0.0-a_b",
      "1.0.0+a+b",
      "1.0.0-é",
      "-1.0.0",
      "1.0rc1",
    ]
  ) {
    assert.equal(isSemver(bad), false, JSON.stringify(bad));
  }
});

Deno.test("compareVersions() prefers PEP 440: 1.0.0-1 is a post-release there", () => {
  // SemVer reads 1.0.0-1 as a pre-release; both parse as PEP 440, so PEP 440
  // decides. Chains mixing schemes are therefore not transitive.
  assertOrder("1.0.0-1", 1, "1.0.0", "pep440");
  assert.equal(semverOrder("1.0.0-1", "1.0.0"), -1);
  assertOrder("1.0.0-1", -1, "1.0.0-x", "semver");
  assertOrder("1.0.0-x", -1, "1.0.0", "semver");
});

Deno.test("compareVersions() returns null when the two cannot be ordered", () => {
  for (
    const [a, b] of [
      ["abc", "0.1"],
      ["nightly", "0.1.8"],
      ["", "0.1"],
      ["0.2.dev3", "0.0.0-test-cascade"],
      ["1.0rc1", "1.0.0-rc.x"],
      ["0.1", "0.0.0-test-cascade"],
    ] as const
  ) {
    assert.equal(compareVersions(a, b), null, `${a} vs ${b}`);
    assert.equal(compareVersions(b, a), null, `${b} vs ${a}`);
  }
});

Deno.test("compareVersions() is fast on long hostile input", () => {
  const start = performance.now();
  for (
    const text of [
      "1" + ".1".repeat(50_000) + "!",
      "1.0" + "_".repeat(100_000) + "x",
      "1.0+" + "a.".repeat(50_000) + "!",
      "1.0.0-" + "a".repeat(100_000) + "+",
      "1.0a.post.dev" + ".".repeat(100_000),
    ]
  ) {
    assert.equal(isPep440(text), false);
    assert.equal(isSemver(text), false);
  }
  // Linear needs milliseconds; catastrophic backtracking, minutes. The
  // bound is generous, for a loaded machine.
  assert.ok(performance.now() - start < 5000, "no catastrophic backtracking");
});

// --- Generators -----------------------------------------------------------

function randomCase(rand: Rand, text: string): string {
  return rand() < 0.2 ? text.toUpperCase() : text;
}

/** A small number, sometimes written with leading zeros. */
function genNumber(rand: Rand, max: number): [string, bigint] {
  const n = int(rand, max);
  return [(rand() < 0.1 ? "0" : "") + n, BigInt(n)];
}

const SEPARATORS = ["", ".", "-", "_"] as const;
const PRE_SPELLINGS = {
  a: ["a", "alpha"],
  b: ["b", "beta"],
  rc: ["rc", "c", "pre", "preview"],
} as const;

/** A random spelling of a random PEP 440 version, and what it means. */
function genPep440(rand: Rand, local = true): [string, Pep440] {
  let text = rand() < 0.1 ? randomCase(rand, "v") : "";
  let epoch = 0n;
  if (rand() < 0.1) {
    const [s, n] = genNumber(rand, 3);
    text += `${s}!`;
    epoch = n;
  }
  const release: bigint[] = [];
  const parts: string[] = [];
  for (let i = 0, count = 1 + int(rand, 4); i < count; i++) {
    const [s, n] = genNumber(rand, i === 0 ? 3 : 2);
    parts.push(s);
    release.push(n);
  }
  text += parts.join(".");
  let pre: Pep440["pre"] = null;
  let preNumbered = true;
  if (rand() < 0.4) {
    const label = pick(rand, ["a", "b", "rc"] as const);
    const [s, n] = genNumber(rand, 3);
    preNumbered = rand() < 0.8;
    text += pick(rand, SEPARATORS) +
      randomCase(rand, pick(rand, PRE_SPELLINGS[label])) +
      (preNumbered ? pick(rand, SEPARATORS) + s : "");
    pre = { label, n: preNumbered ? n : 0n };
  }
  let post: bigint | null = null;
  if (rand() < 0.3) {
    const [s, n] = genNumber(rand, 3);
    // "1.0a-1" reads as 1.0a1, so "-N" only follows a number.
    if (preNumbered && rand() < 0.3) {
      text += `-${s}`;
      post = n;
    } else {
      const numbered = rand() < 0.8;
      text += pick(rand, SEPARATORS) +
        randomCase(rand, pick(rand, ["post", "rev", "r"])) +
        (numbered ? pick(rand, SEPARATORS) + s : "");
      post = numbered ? n : 0n;
    }
  }
  let dev: bigint | null = null;
  if (rand() < 0.3) {
    const [s, n] = genNumber(rand, 3);
    const numbered = rand() < 0.8;
    text += pick(rand, SEPARATORS) + randomCase(rand, "dev") +
      (numbered ? pick(rand, SEPARATORS) + s : "");
    dev = numbered ? n : 0n;
  }
  let localSegments: string[] | null = null;
  if (local && rand() < 0.3) {
    const written = Array.from(
      { length: 1 + int(rand, 3) },
      () => pick(rand, ["abc", "Abd", "ubuntu", "0", "1", "01", "2", "10"]),
    );
    text += "+" +
      written.map((s, i) => (i === 0 ? "" : pick(rand, [".", "-", "_"])) + s)
        .join("");
    localSegments = written.map((s) =>
      /^\d+$/.test(s) ? String(Number(s)) : s.toLowerCase()
    );
  }
  return [text, { epoch, release, pre, post, dev, local: localSegments }];
}

/** The canonical spelling of a parsed PEP 440 version. */
function formatPep440(v: Pep440): string {
  return (v.epoch === 0n ? "" : `${v.epoch}!`) + v.release.join(".") +
    (v.pre === null ? "" : `${v.pre.label}${v.pre.n}`) +
    (v.post === null ? "" : `.post${v.post}`) +
    (v.dev === null ? "" : `.dev${v.dev}`) +
    (v.local === null ? "" : `+${v.local.join(".")}`);
}

/** A random SemVer version, its canonical text and what it means. */
function genSemver(rand: Rand): [string, Semver] {
  const [major, minor, patch] = [int(rand, 3), int(rand, 3), int(rand, 3)];
  const prerelease = rand() < 0.3 ? [] : Array.from(
    { length: 1 + int(rand, 3) },
    () =>
      pick(rand, [
        "0",
        "1",
        "2",
        "11",
        "alpha",
        "beta",
        "rc",
        "x",
        "X",
        "0a",
        "-",
        "test-cascade",
      ]),
  );
  const build = rand() < 0.7
    ? []
    : Array.from({ length: 1 + int(rand, 2) }, () => pick(rand, ["001", "b"]));
  const text = `${major}.${minor}.${patch}` +
    (prerelease.length > 0 ? `-${prerelease.join(".")}` : "") +
    (build.length > 0 ? `+${build.join(".")}` : "");
  return [text, {
    major: BigInt(major),
    minor: BigInt(minor),
    patch: BigInt(patch),
    prerelease,
    build,
  }];
}

// --- Independent oracles --------------------------------------------------

type KeyPart = number | string | KeyPart[];

/** Compares nested arrays like Python tuples. */
function compareTuple(a: KeyPart, b: KeyPart): Order {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      const order = compareTuple(a[i] ?? 0, b[i] ?? 0);
      if (order !== 0) return order;
    }
    return Math.sign(a.length - b.length) as Order;
  }
  // Like packaging's Infinity objects: ±Infinity beats any tuple.
  if (Array.isArray(a)) return b === Infinity ? -1 : 1;
  if (Array.isArray(b)) return a === Infinity ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * packaging's `_cmpkey`, transcribed; numbers are small in these tests and
 * labels are ranked, as JavaScript cannot compare "rc" with Infinity.
 */
function pep440Key(v: Pep440): KeyPart {
  const release = v.release.map(Number);
  while (release.length > 0 && release[release.length - 1] === 0) {
    release.pop();
  }
  const pre = v.pre === null && v.post === null && v.dev !== null
    ? [-Infinity]
    : v.pre === null
    ? [Infinity]
    : [["a", "b", "rc"].indexOf(v.pre.label), Number(v.pre.n)]; // "a" < "b" < "rc"
  const post = v.post === null ? [-Infinity] : [Number(v.post)];
  const dev = v.dev === null ? [Infinity] : [Number(v.dev)];
  const local = v.local === null
    ? [-Infinity]
    : v.local.map((s) => /^\d+$/.test(s) ? [Number(s), ""] : [-Infinity, s]);
  return [Number(v.epoch), release, pre, post, dev, local];
}

/** SemVer §11, written out from the spec's prose. */
function semverOracle(a: Semver, b: Semver): Order {
  const core = compareTuple(
    [Number(a.major), Number(a.minor), Number(a.patch)],
    [Number(b.major), Number(b.minor), Number(b.patch)],
  );
  if (core !== 0) return core;
  const x = a.prerelease;
  const y = b.prerelease;
  if (x.length === 0 && y.length === 0) return 0;
  if (x.length === 0) return 1;
  if (y.length === 0) return -1;
  const key = (id: string): KeyPart =>
    /^\d+$/.test(id) ? [0, Number(id)] : [1, id];
  return compareTuple(x.map(key), y.map(key));
}

// --- Properties -----------------------------------------------------------

/** Checks reflexivity, antisymmetry, transitivity and sorting for `cmp`. */
function checkTotalOrder<T>(
  rand: Rand,
  items: T[],
  cmp: (a: T, b: T) => Order,
  show: (v: T) => string,
): void {
  for (const v of items) assert.equal(cmp(v, v), 0, `reflexive: ${show(v)}`);
  for (let i = 0; i < 3000; i++) {
    const a = pick(rand, items);
    const b = pick(rand, items);
    const c = pick(rand, items);
    const ab = cmp(a, b);
    const bc = cmp(b, c);
    const ac = cmp(a, c);
    const what = `${show(a)}, ${show(b)}, ${show(c)}`;
    assert.equal(cmp(b, a), -ab || 0, `antisymmetric: ${what}`);
    if (ab <= 0 && bc <= 0) assert.ok(ac <= 0, `transitive: ${what}`);
    if (ab === 0 && bc === 0) assert.equal(ac, 0, `transitive ==: ${what}`);
    if (ab < 0 && bc <= 0) assert.equal(ac, -1, `transitive <: ${what}`);
  }
  const sorted = [...items].sort(cmp);
  for (const [i, a] of sorted.entries()) {
    for (const b of sorted.slice(i + 1)) {
      assert.ok(cmp(a, b) <= 0, `sorted: ${show(a)} before ${show(b)}`);
    }
  }
}

Deno.test("compareVersions() reads every generated PEP 440 spelling as its canonical one (seeded)", () => {
  const rand = prng(440);
  for (let i = 0; i < 3000; i++) {
    const [text, expected] = genPep440(rand);
    assert.ok(isPep440(text), text);
    assert.ok(isPep440(formatPep440(expected)), text);
    assertOrder(text, 0, formatPep440(expected), "pep440");
  }
});

Deno.test("PEP 440 order is a total order agreeing with packaging's sort key (seeded)", () => {
  const rand = prng(4400);
  const items = Array.from({ length: 300 }, () => genPep440(rand));
  const cmp = (a: [string, Pep440], b: [string, Pep440]): Order => {
    const result = compareVersions(a[0], b[0]);
    assert.equal(result?.scheme, "pep440", `${a[0]} vs ${b[0]}`);
    const order = result?.order ?? 0;
    assert.equal(
      order,
      compareTuple(pep440Key(a[1]), pep440Key(b[1])),
      `oracle: ${a[0]} vs ${b[0]}`,
    );
    return order;
  };
  checkTotalOrder(rand, items, cmp, ([text]) => text);
});

Deno.test("a PEP 440 version with +local appended sorts after it (seeded)", () => {
  const rand = prng(7);
  for (let i = 0; i < 2000; i++) {
    const [text] = genPep440(rand, false);
    const local = `${text}+${pick(rand, ["local", "0", "abc.1", "1-x"])}`;
    assertOrder(text, -1, local, "pep440");
  }
});

Deno.test("SemVer reads every generated version as what it means (seeded)", () => {
  const rand = prng(200);
  for (let i = 0; i < 3000; i++) {
    const [text, expected] = genSemver(rand);
    assert.ok(isSemver(text), text);
    // Read as what it means: the same as its canonical spelling without
    // build metadata, which order ignores.
    const core = `${expected.major}.${expected.minor}.${expected.patch}` +
      (expected.prerelease.length > 0
        ? `-${expected.prerelease.join(".")}`
        : "");
    assert.equal(semverOrder(text, core), 0, text);
  }
});

Deno.test("SemVer order is a total order agreeing with §11 (seeded)", () => {
  const rand = prng(2000);
  const items = Array.from({ length: 300 }, () => genSemver(rand));
  const cmp = (a: [string, Semver], b: [string, Semver]): Order => {
    const order = semverOrder(a[0], b[0]) ?? 0;
    assert.equal(order, semverOracle(a[1], b[1]), `oracle: ${a[0]} vs ${b[0]}`);
    return order;
  };
  checkTotalOrder(rand, items, cmp, ([text]) => text);
});

Deno.test("compareVersions() dispatches PEP 440, then SemVer, then null, on any strings (seeded)", () => {
  const rand = prng(31);
  const alphabet = "0123456789.-+_!vVabcrdepostx";
  const gen = (): string => {
    const roll = rand();
    if (roll < 0.3) return genPep440(rand)[0];
    if (roll < 0.6) return genSemver(rand)[0];
    return Array.from(
      { length: int(rand, 12) },
      () => pick(rand, [...alphabet]),
    )
      .join("");
  };
  for (let i = 0; i < 5000; i++) {
    const a = gen();
    const b = gen();
    const expected = isPep440(a) && isPep440(b)
      ? "pep440"
      : isSemver(a) && isSemver(b)
      ? "semver"
      : null;
    const result = compareVersions(a, b);
    assert.equal(result?.scheme ?? null, expected, `${a} vs ${b}`);
    if (expected === "semver") {
      assert.equal(result?.order, semverOrder(a, b), `${a} vs ${b}`);
    }
    const reverse = compareVersions(b, a);
    assert.equal(reverse?.order, result ? -result.order || 0 : undefined);
  }
});
