/**
 * JSON with comments, as `deno.json` takes it: `//` and `/* *\/` comments
 * and trailing commas before `}` or `]`, removed by a small scanner that
 * leaves strings alone, then `JSON.parse`. A syntax error is a
 * {@linkcode UsageError} that names the file, the line and column, and what
 * was expected there.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * Removes `//` and `/* *\/` comments and trailing commas from JSONC text,
 * leaving strings untouched. Every removed character becomes a space (a
 * line break stays a line break), so offsets into the result are offsets
 * into the input. Throws {@linkcode UsageError} for a comment that is never
 * closed.
 */
function stripJsonComments(text: string, file: string): string {
  const out = text.split("");
  let i = 0;
  /** Index of a comma that may be trailing: it followed a value. */
  let comma = -1;
  /** The last character outside strings and comments that was not space. */
  let previous = "";
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (out[k] !== "\n" && out[k] !== "\r") out[k] = " ";
    }
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      comma = -1;
      previous = c;
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") {
        i += text[i] === "\\" ? 2 : 1;
      }
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) {
        throw syntaxError(file, text, i, "an end to the /* comment");
      }
      blank(i, end + 2);
      i = end + 2;
    } else if (c === ",") {
      comma = previous === "," || previous === "[" || previous === "{" ? -1 : i;
      previous = c;
      i++;
    } else if (c === "}" || c === "]") {
      if (comma !== -1) out[comma] = " ";
      comma = -1;
      previous = c;
      i++;
    } else {
      if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") {
        comma = -1;
        previous = c ?? "";
      }
      i++;
    }
  }
  return out.join("");
}

/**
 * Parses JSON with comments and trailing commas (see the module doc).
 * A syntax error is a {@linkcode UsageError} naming the file, the line and
 * column, and what was expected there.
 *
 * @example Comments and a trailing comma
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 *
 * const text = '{\n  // the server\n  "baseUrl": "https://git.example.com",\n}';
 * assert.deepEqual(parseJsonc(text, "cascade.json"), {
 *   baseUrl: "https://git.example.com",
 * });
 * assert.throws(() => parseJsonc('{"a": }', "cascade.json"), {
 *   message:
 *     'cascade.json line 1, column 7: expected a value, found "}"; fix the JSON and run again',
 * });
 * ```
 */
export function parseJsonc(text: string, file: string): unknown {
  const stripped = stripJsonComments(text.replace(/^\uFEFF/, ""), file);
  try {
    return JSON.parse(stripped);
  } catch {
    const found = locateJsonError(stripped);
    throw syntaxError(file, stripped, found.offset, found.expected);
  }
}

/** Where a JSON text first goes wrong, and what was expected there. */
interface JsonErrorSite {
  offset: number;
  expected: string;
}

/**
 * Walks JSON text the way `JSON.parse` does and reports the first place it
 * cannot go on. Only called on text `JSON.parse` refused.
 */
function locateJsonError(text: string): JsonErrorSite {
  const walk = new JsonWalk(text);
  try {
    walk.value();
    walk.space();
    if (walk.i < text.length) walk.fail("the end of the file");
  } catch (error) {
    if (error instanceof Stop) return error.site;
    throw error;
  }
  // JSON.parse refused what this walk accepted (nothing known does).
  return { offset: 0, expected: "valid JSON" };
}

/** Thrown by {@linkcode JsonWalk.fail}: where the walk stopped, and why. */
class Stop {
  constructor(readonly site: JsonErrorSite) {}
}

/**
 * A walk over JSON text as `JSON.parse` reads it, `i` the offset reached.
 * Each method reads one production from `i` on and throws {@linkcode Stop}
 * at the first character that cannot come next.
 */
class JsonWalk {
  /** The offset reached. */
  i = 0;
  #depth = 0;

  constructor(readonly text: string) {}

  /** Stops the walk at `i`: `expected` was expected there. */
  fail(expected: string): never {
    throw new Stop({ offset: this.i, expected });
  }

  /** Skips JSON white space. */
  space(): void {
    while (/[ \t\n\r]/.test(this.text[this.i] ?? "")) this.i++;
  }

  /** A double-quoted string with its escapes. */
  string(): void {
    const text = this.text;
    if (text[this.i] !== '"') this.fail("a double-quoted string");
    this.i++;
    while (text[this.i] !== '"') {
      const c = text[this.i];
      if (c === undefined) this.fail('a closing "');
      else if (c < " ") this.fail('a closing " before the end of the line');
      else if (c === "\\") {
        this.i++;
        this.#escape();
      } else this.i++;
    }
    this.i++;
  }

  /** What follows a backslash in a string. */
  #escape(): void {
    const text = this.text;
    if (text[this.i] === "u") {
      for (let k = 1; k <= 4; k++) {
        if (!/[0-9a-fA-F]/.test(text[this.i + k] ?? "")) {
          this.i += k;
          this.fail("four hex digits after \\u");
        }
      }
      this.i += 5;
    } else if (/["\\/bfnrt]/.test(text[this.i] ?? "")) this.i++;
    else this.fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u)');
  }

  /** Any value, at most 1000 levels deep. */
  value(): void {
    if (++this.#depth > 1000) this.fail("less nesting (at most 1000 levels)");
    try {
      this.#oneValue();
    } finally {
      this.#depth--;
    }
  }

  #oneValue(): void {
    this.space();
    const c = this.text[this.i];
    if (c === "{") return this.#object();
    if (c === "[") return this.#array();
    if (c === '"') return this.string();
    this.#scalar();
  }

  /** `{ "key": value, ... }`, from its `{`. */
  #object(): void {
    const text = this.text;
    this.i++;
    this.space();
    if (text[this.i] === "}") {
      this.i++;
      return;
    }
    while (true) {
      this.space();
      if (text[this.i] !== '"') this.fail("a double-quoted key");
      this.string();
      this.space();
      if (text[this.i] !== ":") this.fail('":" after the key');
      this.i++;
      this.value();
      this.space();
      if (text[this.i] === ",") this.i++;
      else if (text[this.i] === "}") {
        this.i++;
        return;
      } else this.fail('"," or "}"');
    }
  }

  /** `[ value, ... ]`, from its `[`. */
  #array(): void {
    const text = this.text;
    this.i++;
    this.space();
    if (text[this.i] === "]") {
      this.i++;
      return;
    }
    while (true) {
      this.value();
      this.space();
      if (text[this.i] === ",") this.i++;
      else if (text[this.i] === "]") {
        this.i++;
        return;
      } else this.fail('"," or "]"');
    }
  }

  /** `true`, `false`, `null` or a number. */
  #scalar(): void {
    const text = this.text;
    const literal = /^(?:true|false|null)/.exec(text.slice(this.i, this.i + 5));
    if (literal) {
      this.i += literal[0].length;
      return;
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(
      text.slice(this.i, this.i + 400),
    );
    if (number && number[0] !== "-") {
      this.i += number[0].length;
      return;
    }
    this.fail("a value");
  }
}

/** `file line L, column C: expected X, found Y; fix …` as a UsageError. */
function syntaxError(
  file: string,
  text: string,
  offset: number,
  expected: string,
): UsageError {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  const char = text[offset];
  const found = char === undefined
    ? "the end of the file"
    : char === "\n" || char === "\r"
    ? "the end of the line"
    : char === '"'
    ? `'"'`
    : JSON.stringify(char);
  return new UsageError(
    `${file} line ${line}, column ${column}: expected ${expected}, found ${found}; fix the JSON and run again`,
  );
}
