/**
 * Ordering of version strings, for the race rule ("never clobber a newer
 * version") and downgrade detection: PEP 440 when both sides parse as PEP
 * 440 (the runtime is a Python package), else SemVer 2.0.0 when both parse
 * as SemVer, else the two cannot be ordered.
 *
 * Numbers are `bigint`, so releases like `20240101123456.1` order exactly.
 *
 * Strings such as `1.0.0-1` parse under both schemes with different
 * meanings (a PEP 440 post-release, a SemVer pre-release); PEP 440 wins.
 * So `compareVersions()` orders any two strings consistently, but it is not
 * one total order across schemes: keep to one scheme for chains.
 *
 * @example Order two versions
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareVersions } from "./order.ts";
 *
 * assert.deepEqual(compareVersions("1.0rc1", "1.0"), {
 *   order: -1,
 *   scheme: "pep440",
 * });
 * assert.deepEqual(compareVersions("0.0.0-test-cascade", "0.0.0"), {
 *   order: -1,
 *   scheme: "semver",
 * });
 * assert.equal(compareVersions("nightly", "0.1"), null);
 * ```
 *
 * @module
 */

/** Which rules ordered two versions. */
export type VersionScheme = "pep440" | "semver";

/** A parsed PEP 440 version, normalised (spellings, case, numbers). */
interface Pep440 {
  /** Epoch (`N!`), 0 when absent. */
  readonly epoch: bigint;
  /** Release numbers as written (trailing zeros kept; ignored in order). */
  readonly release: readonly bigint[];
  /** Pre-release: `alpha`/`beta`/`c`/`pre`/`preview` spelled `a`/`b`/`rc`. */
  readonly pre: { readonly label: "a" | "b" | "rc"; readonly n: bigint } | null;
  /** Post-release number (`.postN`, `-N`, `revN`, `rN`); 0 when unnumbered. */
  readonly post: bigint | null;
  /** Dev-release number (`.devN`); 0 when unnumbered. */
  readonly dev: bigint | null;
  /**
   * Local segments (`+Ubuntu-01` gives `["ubuntu", "1"]`): lower case,
   * numeric ones without leading zeros; null when absent.
   */
  readonly local: readonly string[] | null;
}

/** A parsed SemVer 2.0.0 version. */
interface Semver {
  /** Major version. */
  readonly major: bigint;
  /** Minor version. */
  readonly minor: bigint;
  /** Patch version. */
  readonly patch: bigint;
  /** Pre-release identifiers, empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers (ignored in ordering). */
  readonly build: readonly string[];
}

/** The grammar of PEP 440 appendix B, ASCII only. */
const PEP440 = new RegExp(
  "^v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)" +
    "(?:[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?" +
    "(?:-(?<postN1>[0-9]+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?)?" +
    "(?:[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?" +
    "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$",
  "i",
);

const DIGITS = /^[0-9]+$/;
const SEMVER_NUMBER = /^(?:0|[1-9][0-9]*)$/;
const SEMVER_IDENTIFIER = /^[0-9A-Za-z-]+$/;

/**
 * Parses a PEP 440 version (case-insensitive, optional leading `v`,
 * surrounding whitespace ignored); null when it is not one.
 */
function parsePep440(v: string): Pep440 | null {
  const g = PEP440.exec(v.trim())?.groups;
  if (g === undefined) return null;
  const preL = g.preL?.toLowerCase();
  const postN = g.postN1 ?? g.postN2;
  return {
    epoch: BigInt(g.epoch ?? "0"),
    release: (g.release ?? "0").split(".").map(BigInt),
    pre: preL === undefined ? null : {
      label: preL === "a" || preL === "alpha"
        ? "a"
        : preL === "b" || preL === "beta"
        ? "b"
        : "rc",
      n: BigInt(g.preN ?? "0"),
    },
    post: g.postN1 === undefined && g.postL === undefined
      ? null
      : BigInt(postN ?? "0"),
    dev: g.devL === undefined ? null : BigInt(g.devN ?? "0"),
    local: g.local === undefined ? null : g.local.toLowerCase().split(/[-_.]/)
      .map((s) => DIGITS.test(s) ? BigInt(s).toString() : s),
  };
}

/** Parses a SemVer 2.0.0 version, strictly; null when it is not one. */
function parseSemver(v: string): Semver | null {
  const plus = v.indexOf("+");
  const main = plus === -1 ? v : v.slice(0, plus);
  const build = plus === -1 ? [] : v.slice(plus + 1).split(".");
  const dash = main.indexOf("-");
  const core = (dash === -1 ? main : main.slice(0, dash)).split(".");
  const prerelease = dash === -1 ? [] : main.slice(dash + 1).split(".");
  const [major, minor, patch] = core;
  if (
    core.length !== 3 || major === undefined || minor === undefined ||
    patch === undefined || !core.every((n) => SEMVER_NUMBER.test(n)) ||
    !build.every((id) => SEMVER_IDENTIFIER.test(id)) ||
    !prerelease.every((id) =>
      SEMVER_IDENTIFIER.test(id) && (!DIGITS.test(id) || SEMVER_NUMBER.test(id))
    )
  ) {
    return null;
  }
  return {
    major: BigInt(major),
    minor: BigInt(minor),
    patch: BigInt(patch),
    prerelease,
    build,
  };
}

/**
 * Orders two PEP 440 versions: epoch, release (trailing zeros ignored),
 * then dev < pre-release < final < post-release, then local (a local
 * version sorts after the same public version).
 */
function comparePep440(a: Pep440, b: Pep440): -1 | 0 | 1 {
  return compare(a.epoch, b.epoch) ||
    compareReleases(a.release, b.release) ||
    compareKeys(preKey(a), preKey(b)) ||
    compareKeys(postKey(a), postKey(b)) ||
    compareKeys(devKey(a), devKey(b)) ||
    compareLocal(a.local, b.local);
}

/**
 * Orders two SemVer versions by §11 of the specification: major, minor,
 * patch, then a pre-release before its release, identifiers compared one
 * by one (numbers numerically and below words, words in ASCII order), and
 * fewer identifiers first when all before are equal. Build metadata does
 * not count.
 */
function compareSemver(a: Semver, b: Semver): -1 | 0 | 1 {
  const core = compare(a.major, b.major) || compare(a.minor, b.minor) ||
    compare(a.patch, b.patch);
  if (core !== 0) return core;
  const x = a.prerelease;
  const y = b.prerelease;
  if (x.length === 0 || y.length === 0) {
    return compare(y.length, x.length); // a release beats its pre-releases
  }
  for (let i = 0; i < x.length && i < y.length; i++) {
    const order = compareIdentifiers(x[i] ?? "", y[i] ?? "", -1);
    if (order !== 0) return order;
  }
  return compare(x.length, y.length);
}

/**
 * Orders `a` against `b`: PEP 440 when both parse as PEP 440, else SemVer
 * 2.0 when both parse as SemVer, else null (they cannot be ordered).
 */
export function compareVersions(
  a: string,
  b: string,
): { order: -1 | 0 | 1; scheme: VersionScheme } | null {
  const pa = parsePep440(a);
  const pb = parsePep440(b);
  if (pa !== null && pb !== null) {
    return { order: comparePep440(pa, pb), scheme: "pep440" };
  }
  const sa = parseSemver(a);
  const sb = parseSemver(b);
  if (sa !== null && sb !== null) {
    return { order: compareSemver(sa, sb), scheme: "semver" };
  }
  return null;
}

/** Rank first, then values: a sort key like packaging's `_cmpkey`. */
type Key = readonly bigint[];

const PRE_LABELS = ["a", "b", "rc"] as const;

function preKey(v: Pep440): Key {
  // A dev release of a final version sorts before its pre-releases.
  if (v.pre === null && v.post === null && v.dev !== null) return [-1n];
  if (v.pre === null) return [1n];
  return [0n, BigInt(PRE_LABELS.indexOf(v.pre.label)), v.pre.n];
}

function postKey(v: Pep440): Key {
  return v.post === null ? [0n] : [1n, v.post];
}

function devKey(v: Pep440): Key {
  return v.dev === null ? [1n] : [0n, v.dev];
}

function compareKeys(a: Key, b: Key): -1 | 0 | 1 {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const order = compare(a[i] ?? 0n, b[i] ?? 0n);
    if (order !== 0) return order;
  }
  return compare(a.length, b.length);
}

/** Compares releases as if padded with zeros: 1.0 == 1.0.0. */
function compareReleases(
  a: readonly bigint[],
  b: readonly bigint[],
): -1 | 0 | 1 {
  for (let i = 0; i < a.length || i < b.length; i++) {
    const order = compare(a[i] ?? 0n, b[i] ?? 0n);
    if (order !== 0) return order;
  }
  return 0;
}

function compareLocal(
  a: readonly string[] | null,
  b: readonly string[] | null,
): -1 | 0 | 1 {
  if (a === null || b === null) {
    return a === b ? 0 : a === null ? -1 : 1; // no local sorts first
  }
  for (let i = 0; i < a.length && i < b.length; i++) {
    const order = compareIdentifiers(a[i] ?? "", b[i] ?? "", 1);
    if (order !== 0) return order;
  }
  return compare(a.length, b.length);
}

/**
 * Compares two identifiers: numerically when both are digits, in ASCII
 * order when both are words; a number against a word gives `numberVsWord`
 * (SemVer puts numbers first, PEP 440 local segments put them last).
 */
function compareIdentifiers(
  x: string,
  y: string,
  numberVsWord: -1 | 1,
): -1 | 0 | 1 {
  const xNumber = DIGITS.test(x);
  const yNumber = DIGITS.test(y);
  if (xNumber && yNumber) return compare(BigInt(x), BigInt(y));
  if (xNumber) return numberVsWord;
  if (yNumber) return numberVsWord === 1 ? -1 : 1;
  return compare(x, y);
}

function compare<T extends bigint | number | string>(a: T, b: T): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}
