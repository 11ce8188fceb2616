import assert from "node:assert/strict";
import { HeadTail } from "../lib/git/bounded_output.ts";
import { registerSecret } from "../lib/console/secret_forms.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A reference: the whole input, cut the way HeadTail promises. */
function expected(all: string, head: number, tail: number) {
  const h = all.slice(0, head);
  const rest = all.slice(head);
  const t = tail === 0 ? "" : rest.slice(Math.max(0, rest.length - tail));
  return { head: h, tail: t, dropped: all.length - h.length - t.length };
}

Deno.test("output that fits is kept whole, with no drop line", () => {
  const kept = new HeadTail(4, 4);
  kept.append(enc("abc"));
  kept.append(enc("defgh"));
  assert.equal(kept.droppedBytes(), 0);
  assert.equal(dec(kept.head()), "abcd");
  assert.equal(dec(kept.tail()), "efgh");
  assert.equal(kept.text(), "abcdefgh");
  assert.equal(dec(kept.bytes()), "abcdefgh");
});

Deno.test("any chunking gives the same head, tail and dropped count", () => {
  const all = Array.from(
    { length: 500 },
    (_, i) => String.fromCharCode(97 + (i * 7) % 26),
  ).join("");
  for (
    const [head, tail] of [[0, 0], [0, 5], [5, 0], [3, 7], [10, 64], [600, 10]]
  ) {
    for (const size of [1, 2, 3, 6, 7, 8, 13, 64, 499, 500]) {
      const kept = new HeadTail(head!, tail!);
      for (let i = 0; i < all.length; i += size) {
        kept.append(enc(all.slice(i, i + size)));
      }
      const want = expected(all, head!, tail!);
      const label = `head ${head} tail ${tail} chunk ${size}`;
      assert.equal(dec(kept.head()), want.head, label);
      assert.equal(dec(kept.tail()), want.tail, label);
      assert.equal(kept.droppedBytes(), want.dropped, label);
      assert.equal(dec(kept.bytes()), want.head + want.tail, label);
    }
  }
});

Deno.test("an empty chunk and an empty input change nothing", () => {
  const kept = new HeadTail(2, 2);
  kept.append(new Uint8Array(0));
  assert.equal(kept.text(), "");
  assert.equal(kept.droppedBytes(), 0);
  assert.deepEqual(kept.tail(), new Uint8Array(0));
});

Deno.test("endless output is held in bounded memory: head, drop line, tail", () => {
  const kept = new HeadTail(6, 6);
  kept.append(enc("remote"));
  const chunk = enc("Counting objects: 1%\r".repeat(100));
  for (let i = 0; i < 1000; i++) kept.append(chunk);
  kept.append(enc("END!!!"));
  const dropped = 1000 * chunk.length;
  assert.equal(kept.droppedBytes(), dropped);
  assert.equal(
    kept.text(),
    `remote\n[cascade: ${dropped} bytes of git's output dropped here]\nEND!!!`,
  );
});

Deno.test("a piece of a secret next to the cut is scrubbed on both sides", () => {
  const secret = "SECRETTOKEN1234567";
  registerSecret(secret);
  const kept = new HeadTail(16, 16);
  kept.append(enc("aaaaaaaaSECRETTO"));
  kept.append(enc("x".repeat(1000)));
  kept.append(enc("N1234567bbbbbbbb"));
  const text = kept.text();
  assert.equal(
    text,
    "aaaaaaaa***\n[cascade: 1000 bytes of git's output dropped here]\n***bbbbbbbb",
  );
  // Without a cut, the bytes are not changed by the text view's scrub.
  const whole = new HeadTail(64, 64);
  whole.append(enc("plain output"));
  assert.equal(whole.text(), "plain output");
});
