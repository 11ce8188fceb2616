import assert from "node:assert/strict";
import { prng } from "./support/prng.ts";
import {
  compareSemver,
  compareVersions,
  parsePep440,
  parseSemver,
} from "../lib/version_order.ts";

function ascending(chain: string[], scheme: "pep440" | "semver"): void {
  for (let i = 0; i + 1 < chain.length; i++) {
    const a = chain[i]!;
    const b = chain[i + 1]!;
    assert.deepEqual(
      compareVersions(a, b),
      { order: -1, scheme },
      `${a} < ${b}`,
    );
    assert.deepEqual(
      compareVersions(b, a),
      { order: 1, scheme },
      `${b} > ${a}`,
    );
  }
}

Deno.test("compareVersions() orders PEP 440 versions", () => {
  ascending([
    "0.1.6",
    "0.1.7.dev1",
    "0.1.7a1",
    "0.1.7b2",
    "0.1.7rc1",
    "0.1.7",
    "0.1.7+local.1",
    "0.1.7.post1",
    "0.1.8",
    "0.2.dev3",
    "0.2a1",
    "0.2",
    "1.0rc1",
    "1.0",
    "1!0.1",
  ], "pep440");
  assert.deepEqual(compareVersions("1.0", "1.0.0"), {
    order: 0,
    scheme: "pep440",
  });
  assert.deepEqual(compareVersions("1.0-alpha-1", "1.0a1"), {
    order: 0,
    scheme: "pep440",
  });
  assert.deepEqual(compareVersions("1.0c1", "1.0rc1"), {
    order: 0,
    scheme: "pep440",
  });
  assert.deepEqual(compareVersions("1.0-1", "1.0.post1"), {
    order: 0,
    scheme: "pep440",
  });
  assert.deepEqual(compareVersions("0.1.10", "0.1.9"), {
    order: 1,
    scheme: "pep440",
  });
  assert.deepEqual(
    compareVersions("99999999999999999999.0", "99999999999999999998.9"),
    { order: 1, scheme: "pep440" },
  );
  assert.deepEqual(compareVersions("1.0+abc", "1.0+5"), {
    order: -1,
    scheme: "pep440",
  });
});

Deno.test("compareSemver() follows SemVer 2.0 §11; compareVersions() uses it when PEP 440 does not apply", () => {
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
  for (let i = 0; i + 1 < chain.length; i++) {
    const a = parseSemver(chain[i]!)!;
    const b = parseSemver(chain[i + 1]!)!;
    assert.equal(compareSemver(a, b), -1, `${chain[i]} < ${chain[i + 1]}`);
    assert.equal(compareSemver(b, a), 1);
  }
  ascending([
    "0.0.0-test-cascade",
    "0.0.0-test-cascade.2",
    "1.0.0-x.7.z.92",
  ], "semver");
  assert.deepEqual(compareVersions("1.0.0-x+001", "1.0.0-x+999"), {
    order: 0,
    scheme: "semver",
  });
  assert.equal(parseSemver("01.0.0"), null);
  assert.equal(parsePep440("0.0.0-test-cascade"), null);
  // Both parse as PEP 440, so PEP 440 decides: 1.0.0-alpha is 1.0.0a0.
  assert.deepEqual(compareVersions("1.0.0-alpha", "1.0.0"), {
    order: -1,
    scheme: "pep440",
  });
});

Deno.test("compareVersions() returns null when the two cannot be ordered", () => {
  for (
    const [a, b] of [["abc", "0.1"], ["nightly", "0.1.8"], [
      "0.2.dev3",
      "0.0.0-test-cascade",
    ], ["1.0rc1", "1.0.0-rc.x"]]
  ) {
    assert.equal(compareVersions(a!, b!), null, `${a} vs ${b}`);
  }
});

function genPep440(rand: () => number): string {
  const n = () => String(Math.floor(rand() * 12));
  const parts = Array.from({ length: 1 + Math.floor(rand() * 4) }, n);
  let v = (rand() < 0.1 ? `${n()}!` : "") + parts.join(".");
  if (rand() < 0.3) {
    v += [
      "a",
      "b",
      "rc",
      "alpha",
      "beta",
      "c",
      ".pre",
      "-preview",
    ][Math.floor(rand() * 8)]! + n();
  }
  if (rand() < 0.2) {
    v += [".post", "-", ".rev", "r"][Math.floor(rand() * 4)]! + n();
  }
  if (rand() < 0.2) v += ".dev" + n();
  if (rand() < 0.1) v += "+" + ["ubuntu", n(), "abc.2"][Math.floor(rand() * 3)];
  return v;
}

function genSemver(rand: () => number): string {
  const n = () => String(Math.floor(rand() * 5));
  let v = `${n()}.${n()}.${n()}`;
  if (rand() < 0.6) {
    const ids = [
      "alpha",
      "beta",
      "rc",
      "x",
      "test-cascade",
      "0",
      "1",
      "11",
      "2",
    ];
    v += "-" +
      Array.from(
        { length: 1 + Math.floor(rand() * 3) },
        () => ids[Math.floor(rand() * ids.length)],
      ).join(".");
  }
  if (rand() < 0.2) v += "+build." + n();
  return v;
}

for (
  const [scheme, gen] of [["pep440", genPep440], ["semver", genSemver]] as const
) {
  Deno.test(`compareVersions() is a total order on generated ${scheme} versions (seeded)`, () => {
    const rand = prng(scheme === "pep440" ? 440 : 200);
    const versions = Array.from({ length: 400 }, () => gen(rand));
    const cmp = (a: string, b: string) => {
      const c = compareVersions(a, b);
      if (scheme === "semver" && c?.scheme === "pep440") return c.order; // e.g. 1.2.3 parses as both
      assert.ok(c, `${a} vs ${b} orderable`);
      return c.order;
    };
    for (const v of versions) {
      assert.equal(cmp(v, v), 0, `reflexive ${v}`);
      if (scheme === "pep440") assert.ok(parsePep440(v), `parses ${v}`);
      else assert.ok(parseSemver(v), `parses ${v}`);
    }
    for (let i = 0; i < 3000; i++) {
      const a = versions[Math.floor(rand() * versions.length)]!;
      const b = versions[Math.floor(rand() * versions.length)]!;
      const c = versions[Math.floor(rand() * versions.length)]!;
      assert.equal(cmp(a, b), -cmp(b, a) || 0, `antisymmetric ${a} ${b}`);
      if (cmp(a, b) <= 0 && cmp(b, c) <= 0) {
        assert.ok(cmp(a, c) <= 0, `transitive ${a} ${b} ${c}`);
      }
    }
    const sorted = [...versions].sort(cmp);
    for (let i = 0; i + 1 < sorted.length; i++) {
      assert.ok(cmp(sorted[i]!, sorted[i + 1]!) <= 0);
    }
  });
}

Deno.test("a PEP 440 local version sorts after its public version (seeded)", () => {
  const rand = prng(7);
  for (let i = 0; i < 1000; i++) {
    const v = genPep440(rand).replace(/\+.*$/, "");
    assert.equal(compareVersions(v, `${v}+local.${i}`)?.order, -1, v);
  }
});
