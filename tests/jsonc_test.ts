import assert from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { parseJsonc } from "../lib/cli/jsonc.ts";

function usageError(message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    assert.equal(error.message, message);
    return true;
  };
}

Deno.test("parseJsonc() drops comments and trailing commas, keeps strings whole", () => {
  const text = `\uFEFF{
  // line comment with "quotes" and /* no block */
  "baseUrl": "https://git.example.com//not-a-comment", /* block
  over two lines */ "message": "say \\"hi\\" // still a string /* too */",
  "repos": ["a/b", "c/d",],
  "path": "C:\\\\dir\\\\",
  "empty": [],
  "nested": { "x": 1, },
}`;
  assert.deepEqual(parseJsonc(text, "cascade.json"), {
    baseUrl: "https://git.example.com//not-a-comment",
    message: 'say "hi" // still a string /* too */',
    repos: ["a/b", "c/d"],
    path: "C:\\dir\\",
    empty: [],
    nested: { x: 1 },
  });
});

Deno.test("parseJsonc() blanks comments in place, so offsets stay", () => {
  const text = '{"a": 1, // c\n/* d\ne */ "b": [2,],}';
  assert.deepEqual(parseJsonc(text, "x.json"), { a: 1, b: [2] });
  // A mistake after comments is placed where it stands in the input: line
  // 3, column 10 (the comments' characters still count).
  assert.throws(
    () => parseJsonc('{"a": 1, // c\n/* d\ne */ "b" 2}', "x.json"),
    usageError(
      'x.json line 3, column 10: expected ":" after the key, found "2"; fix the JSON and run again',
    ),
  );
});

Deno.test("parseJsonc() reports the line, column and what was expected", () => {
  const cases: [string, string][] = [
    [
      '{"a": }',
      'cascade.json line 1, column 7: expected a value, found "}"; fix the JSON and run again',
    ],
    [
      '{\n  "a": 1\n  "b": 2\n}',
      `cascade.json line 3, column 3: expected "," or "}", found '"'; fix the JSON and run again`,
    ],
    [
      '{\n  // comment\n  baseUrl: "x"\n}',
      'cascade.json line 3, column 3: expected a double-quoted key, found "b"; fix the JSON and run again',
    ],
    [
      '{"a": [1, 2}',
      'cascade.json line 1, column 12: expected "," or "]", found "}"; fix the JSON and run again',
    ],
    [
      '{"a": "x',
      'cascade.json line 1, column 9: expected a closing ", found the end of the file; fix the JSON and run again',
    ],
    [
      '{"a": "x\n"}',
      'cascade.json line 1, column 9: expected a closing " before the end of the line, found the end of the line; fix the JSON and run again',
    ],
    [
      '{"a": 1} x',
      'cascade.json line 1, column 10: expected the end of the file, found "x"; fix the JSON and run again',
    ],
    [
      '{"a": [,]}',
      'cascade.json line 1, column 8: expected a value, found ","; fix the JSON and run again',
    ],
    [
      '{"a": 1,,}',
      'cascade.json line 1, column 9: expected a double-quoted key, found ","; fix the JSON and run again',
    ],
    [
      "",
      "cascade.json line 1, column 1: expected a value, found the end of the file; fix the JSON and run again",
    ],
    [
      '{"a": 1 /* open',
      'cascade.json line 1, column 9: expected an end to the /* comment, found "/"; fix the JSON and run again',
    ],
    [
      '{"a": "\\x"}',
      'cascade.json line 1, column 9: expected an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u), found "x"; fix the JSON and run again',
    ],
  ];
  cases.push([
    "[".repeat(5000),
    'cascade.json line 1, column 1001: expected less nesting (at most 1000 levels), found "["; fix the JSON and run again',
  ]);
  for (const [text, message] of cases) {
    assert.throws(() => parseJsonc(text, "cascade.json"), usageError(message));
  }
});
