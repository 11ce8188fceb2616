/**
 * Ordering of version strings, for the race rule ("never clobber a newer
 * version") and downgrade detection: PEP 440 when both sides parse as PEP
 * 440 (the runtime is a Python package), else SemVer 2.0.0 when both parse
 * as SemVer, else the two cannot be ordered.
 *
 * @module
 */

/** Which rules ordered two versions. */
export type VersionScheme = "pep440" | "semver";

/** A parsed PEP 440 version (normalised). */
export interface Pep440 {
  /** Epoch (`N!`), "0" when absent; digit strings throughout. */
  epoch: string;
  /** Release numbers with trailing zeros removed (1.0 == 1.0.0). */
  release: string[];
  /** Pre-release: `a`, `b` or `rc` and its number. */
  pre: { label: "a" | "b" | "rc"; n: string } | null;
  /** Post-release number. */
  post: string | null;
  /** Dev-release number. */
  dev: string | null;
  /** Local version segments (`+ubuntu.1` → ["ubuntu", "1"]). */
  local: string[] | null;
}

/** A parsed SemVer 2.0.0 version. */
export interface Semver {
  /** Major, minor, patch as digit strings. */
  core: [string, string, string];
  /** Pre-release identifiers (empty for a release). */
  pre: string[];
}

const PEP440 = new RegExp(
  "^v?(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)" +
    "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\\d+)?)?" +
    "(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?" +
    "(?:[-_.]?(dev)[-_.]?(\\d+)?)?" +
    "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$",
  "i",
);

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Parses a PEP 440 version; null when it is not one. */
export function parsePep440(v: string): Pep440 | null {
  const m = PEP440.exec(v.trim());
  if (!m) return null;
  const release = (m[2] ?? "").split(".").map(digits);
  while (release.length > 1 && release[release.length - 1] === "0") {
    release.pop();
  }
  const preLabel = m[3]?.toLowerCase();
  const pre = preLabel === undefined ? null : {
    label: preLabel.startsWith("a")
      ? "a" as const
      : preLabel.startsWith("b")
      ? "b" as const
      : "rc" as const,
    n: digits(m[4] ?? "0"),
  };
  const post = m[5] !== undefined
    ? digits(m[5])
    : m[6] !== undefined
    ? digits(m[7] ?? "0")
    : null;
  return {
    epoch: digits(m[1] ?? "0"),
    release,
    pre,
    post,
    dev: m[8] !== undefined ? digits(m[9] ?? "0") : null,
    local: m[10] === undefined ? null : m[10].toLowerCase().split(/[-_.]/),
  };
}

/** Parses a SemVer 2.0.0 version; null when it is not one. */
export function parseSemver(v: string): Semver | null {
  const m = SEMVER.exec(v);
  if (!m) return null;
  return {
    core: [m[1] ?? "0", m[2] ?? "0", m[3] ?? "0"],
    pre: m[4] === undefined ? [] : m[4].split("."),
  };
}

/** Orders two PEP 440 versions by the specification's rules. */
export function comparePep440(a: Pep440, b: Pep440): -1 | 0 | 1 {
  return compareNum(a.epoch, b.epoch) ||
    compareList(a.release, b.release, compareNum, "0") ||
    compareKeys(preKey(a), preKey(b)) ||
    compareKeys(postKey(a), postKey(b)) ||
    compareKeys(devKey(a), devKey(b)) ||
    compareLocal(a.local, b.local);
}

/** Orders two SemVer versions by §11 of the specification. */
export function compareSemver(a: Semver, b: Semver): -1 | 0 | 1 {
  const core = compareList(a.core, b.core, compareNum, "0");
  if (core !== 0) return core;
  if (a.pre.length === 0 || b.pre.length === 0) {
    return sign(b.pre.length - a.pre.length); // a release beats a pre-release
  }
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] ?? "";
    const y = b.pre[i] ?? "";
    const order = compareIdentifiers(x, y, -1);
    if (order !== 0) return order;
  }
  return sign(a.pre.length - b.pre.length);
}

/**
 * Orders `a` against `b`: PEP 440 when both parse as PEP 440, else SemVer
 * when both parse as SemVer, else null (they cannot be ordered).
 */
export function compareVersions(
  a: string,
  b: string,
): { order: -1 | 0 | 1; scheme: VersionScheme } | null {
  const pa = parsePep440(a);
  const pb = parsePep440(b);
  if (pa && pb) return { order: comparePep440(pa, pb), scheme: "pep440" };
  const sa = parseSemver(a);
  const sb = parseSemver(b);
  if (sa && sb) return { order: compareSemver(sa, sb), scheme: "semver" };
  return null;
}

/** A sort key part: -Infinity, +Infinity, or a value. */
type Key = (number | string)[];
const LOW = -1;
const HIGH = 1;

function preKey(v: Pep440): Key {
  // A dev release of a final version sorts before its pre-releases.
  if (v.pre === null && v.post === null && v.dev !== null) return [LOW];
  if (v.pre === null) return [HIGH];
  return [0, ["a", "b", "rc"].indexOf(v.pre.label), v.pre.n];
}

function postKey(v: Pep440): Key {
  return v.post === null ? [LOW] : [0, v.post];
}

function devKey(v: Pep440): Key {
  return v.dev === null ? [HIGH] : [0, v.dev];
}

function compareKeys(a: Key, b: Key): -1 | 0 | 1 {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) {
      return x === y ? 0 : x === undefined ? -1 : 1;
    }
    const order = typeof x === "string" && typeof y === "string"
      ? compareNum(x, y)
      : sign(Number(x) - Number(y));
    if (order !== 0) return order;
  }
  return 0;
}

function compareLocal(a: string[] | null, b: string[] | null): -1 | 0 | 1 {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    const order = compareIdentifiers(x, y, 1); // numbers sort after words
    if (order !== 0) return order;
  }
  return sign(a.length - b.length);
}

function compareList(
  a: readonly string[],
  b: readonly string[],
  compare: (x: string, y: string) => -1 | 0 | 1,
  pad: string,
): -1 | 0 | 1 {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const order = compare(a[i] ?? pad, b[i] ?? pad);
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * Compares two identifiers: numerically when both are digits, by ASCII when
 * both are words; a number against a word gives `numberVsWord`.
 */
function compareIdentifiers(
  x: string,
  y: string,
  numberVsWord: -1 | 1,
): -1 | 0 | 1 {
  const xNum = /^\d+$/.test(x);
  const yNum = /^\d+$/.test(y);
  if (xNum && yNum) return compareNum(x, y);
  if (xNum !== yNum) return xNum ? numberVsWord : (-numberVsWord as -1 | 1);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares digit strings of any length numerically. */
function compareNum(a: string, b: string): -1 | 0 | 1 {
  const x = digits(a);
  const y = digits(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A digit string without leading zeros ("0" for zero). */
function digits(text: string): string {
  return text.replace(/^0+(?=\d)/, "");
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
