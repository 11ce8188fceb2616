import assert from "node:assert/strict";
import {
  comparePep440,
  compareSemver,
  compareVersions,
  parsePep440,
  parseSemver,
  type Pep440,
  type Semver,
  type VersionScheme,
} from "../lib/version/order.ts";
import { int, pick, prng, type Rand } from "./support/prng.ts";

type Order = -1 | 0 | 1;

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

Deno.test("parsePep440() normalises spellings, case, separators and numbers", () => {
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
    const pa = parsePep440(a);
    assert.ok(pa, a);
    assert.equal(formatPep440(pa), b, a);
    assertOrder(a, 0, b, "pep440");
  }
  assert.deepEqual(parsePep440("v1!2.0rc3.post4.dev5+Local-7"), {
    epoch: 1n,
    release: [2n, 0n],
    pre: { label: "rc", n: 3n },
    post: 4n,
    dev: 5n,
    local: ["local", "7"],
  });
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
    assert.equal(parsePep440(bad), null, JSON.stringify(bad));
  }
});

Deno.test("compareSemver() follows the SemVer 2.0.0 §11 example chain", () => {
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
      const sa = parseSemver(a);
      const sb = parseSemver(b);
      assert.ok(sa && sb);
      assert.equal(compareSemver(sa, sb), -1, `${a} < ${b}`);
      assert.equal(compareSemver(sb, sa), 1, `${b} > ${a}`);
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

Deno.test("parseSemver() is strict SemVer 2.0.0", () => {
  assert.deepEqual(parseSemver("1.2.3-rc.1+build.001"), {
    major: 1n,
    minor: 2n,
    patch: 3n,
    prerelease: ["rc", "1"],
    build: ["build", "001"],
  });
  for (
    const good of [
      "0.0.0",
      "1.0.0-0A.is.legal",
      "1.0.0-x-y-z.--",
      "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
      "1.0.0-alpha+001",
    ]
  ) {
    assert.ok(parseSemver(good), good);
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
    assert.equal(parseSemver(bad), null, JSON.stringify(bad));
  }
});

Deno.test("compareVersions() prefers PEP 440: 1.0.0-1 is a post-release there", () => {
  // SemVer reads 1.0.0-1 as a pre-release; both parse as PEP 440, so PEP 440
  // decides. Chains mixing schemes are therefore not transitive.
  assertOrder("1.0.0-1", 1, "1.0.0", "pep440");
  const [a, b] = [parseSemver("1.0.0-1"), parseSemver("1.0.0")];
  assert.ok(a && b);
  assert.equal(compareSemver(a, b), -1);
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

Deno.test("parsePep440() and parseSemver() are fast on long hostile input", () => {
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
    assert.equal(parsePep440(text), null);
    assert.equal(parseSemver(text), null);
  }
  assert.ok(performance.now() - start < 500, "no catastrophic backtracking");
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

Deno.test("parsePep440() reads every generated spelling and round-trips it (seeded)", () => {
  const rand = prng(440);
  for (let i = 0; i < 3000; i++) {
    const [text, expected] = genPep440(rand);
    const parsed = parsePep440(text);
    assert.deepEqual(parsed, expected, text);
    assert.deepEqual(parsePep440(formatPep440(expected)), expected, text);
    assertOrder(text, 0, formatPep440(expected), "pep440");
  }
});

Deno.test("comparePep440() is a total order agreeing with packaging's sort key (seeded)", () => {
  const rand = prng(4400);
  const items = Array.from({ length: 300 }, () => genPep440(rand));
  const cmp = (a: [string, Pep440], b: [string, Pep440]): Order => {
    const order = comparePep440(a[1], b[1]);
    assert.equal(
      order,
      compareTuple(pep440Key(a[1]), pep440Key(b[1])),
      `oracle: ${a[0]} vs ${b[0]}`,
    );
    assert.deepEqual(compareVersions(a[0], b[0]), { order, scheme: "pep440" });
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

Deno.test("parseSemver() round-trips every generated version (seeded)", () => {
  const rand = prng(200);
  for (let i = 0; i < 3000; i++) {
    const [text, expected] = genSemver(rand);
    assert.deepEqual(parseSemver(text), expected, text);
  }
});

Deno.test("compareSemver() is a total order agreeing with §11 (seeded)", () => {
  const rand = prng(2000);
  const items = Array.from({ length: 300 }, () => genSemver(rand));
  const cmp = (a: [string, Semver], b: [string, Semver]): Order => {
    const order = compareSemver(a[1], b[1]);
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
    const [pa, pb, sa, sb] = [
      parsePep440(a),
      parsePep440(b),
      parseSemver(a),
      parseSemver(b),
    ];
    const expected = pa && pb
      ? { order: comparePep440(pa, pb), scheme: "pep440" }
      : sa && sb
      ? { order: compareSemver(sa, sb), scheme: "semver" }
      : null;
    const result = compareVersions(a, b);
    assert.deepEqual(result, expected, `${a} vs ${b}`);
    const reverse = compareVersions(b, a);
    assert.equal(reverse?.order, result ? -result.order || 0 : undefined);
    // Whatever parses normalises to a spelling that parses the same.
    if (pa) assert.deepEqual(parsePep440(formatPep440(pa)), pa, a);
  }
});
