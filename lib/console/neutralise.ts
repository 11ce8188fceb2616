/**
 * The one place that makes text a server or a repository controls (ref
 * names, file contents, a server's own words) safe to print, log, annotate
 * or put in Markdown. Each function returns one line in which nothing can
 * act: no terminal escape, no carriage return that rewrites the line, no
 * bidirectional override that makes it read differently from what it says,
 * no Actions workflow command, no Markdown or HTML markup.
 *
 * Escapes are visible and backslash-style: `\n`, `\r`, `\t`, `\xNN` for the
 * other C0 and C1 controls and DEL, `\uNNNN` for line and paragraph
 * separators, bidirectional controls and lone surrogates. A backslash
 * already in the text is kept as it is.
 *
 * @module
 */

import { cutRedacted } from "./secret_forms.ts";

/**
 * What {@linkcode forTerminal} escapes: C0, DEL and C1 controls (`\p{Cc}`),
 * lone surrogates (`\p{Cs}`), line and paragraph separators, and the
 * bidirectional marks, embeddings, overrides and isolates.
 */
const UNSAFE =
  /[\p{Cc}\p{Cs}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** How one unsafe character is shown. */
function escapeChar(ch: string): string {
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  const code = ch.charCodeAt(0);
  return code > 0xff
    ? `\\u${code.toString(16).padStart(4, "0")}`
    : `\\x${code.toString(16).padStart(2, "0")}`;
}

/**
 * `text` cut to `maxLength` UTF-16 code units and `...` appended when it is
 * longer; the cut never leaves half of a surrogate pair.
 */
function cut(text: string, maxLength: number | undefined): string {
  if (maxLength === undefined || text.length <= maxLength) return text;
  return cutRedacted(text, maxLength);
}

/**
 * One line safe to write to a terminal: every C0 and C1 control (ESC, so no
 * colour or OSC 52 clipboard sequence; CR, so no overwritten line; LF), DEL,
 * lone surrogates, line and paragraph separators and bidirectional controls
 * are shown as visible escapes. With `maxLength`, the text is first cut to
 * that many UTF-16 code units (never inside a surrogate pair) and `...`
 * marks the cut.
 *
 * @param text Text a server or a repository controls.
 * @param maxLength Longest text kept before escaping, if any.
 * @returns The text, escaped, on one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forTerminal } from "./neutralise.ts";
 * assert.equal(forTerminal("main\x1b]52;c;aGk=\x07\r"), "main\\x1b]52;c;aGk=\\x07\\r");
 * assert.equal(forTerminal("1.0\u202e9.9"), "1.0\\u202e9.9");
 * assert.equal(forTerminal("abcdef", 3), "abc...");
 * ```
 */
export function forTerminal(text: string, maxLength?: number): string {
  return cut(text, maxLength).replace(UNSAFE, escapeChar);
}

/**
 * One line safe for a log an Actions runner reads (GitHub or Gitea): what
 * {@linkcode forTerminal} gives, and nothing the runner could take for a
 * workflow command. Leading `::` (after spaces) becomes `: :`, so
 * `::error::`, `::add-mask::` or `::stop-commands::` print as text; every
 * `##[` becomes `# #[`, so no `##[group]`-style command either. Escaping `%`,
 * CR and LF inside a command's own data stays the annotation escaper's job
 * (`escapeData` in `actions.ts`).
 *
 * @param text Text a server or a repository controls.
 * @param maxLength Longest text kept before escaping, if any.
 * @returns The text, escaped, on one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forLog } from "./neutralise.ts";
 * assert.equal(forLog("::error::pwned"), ": :error::pwned");
 * assert.equal(forLog("x\n::stop-commands::t"), "x\\n::stop-commands::t");
 * assert.equal(forLog("##[group]x"), "# #[group]x");
 * ```
 */
export function forLog(text: string, maxLength?: number): string {
  return forTerminal(text, maxLength)
    .replaceAll("##[", "# #[")
    .replace(/^(\s*):(?=:)/, "$1: ");
}

/**
 * Text safe inside one cell of a Markdown table (the report's Markdown and
 * the Actions step summary): line breaks become spaces, then controls are
 * escaped as {@linkcode forTerminal} does, then backslash, `|`, backticks
 * and ``*_~[]`` get a backslash and `&`, `<`, `>` become HTML entities, so
 * the text ends no cell, opens no code span, link, emphasis or HTML tag.
 *
 * @param text Text a server or a repository controls.
 * @param maxLength Longest text kept before escaping, if any.
 * @returns The cell's Markdown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forMarkdownCell } from "./neutralise.ts";
 * assert.equal(forMarkdownCell("a|b\n<img src=x>"), "a\\|b &lt;img src=x&gt;");
 * assert.equal(forMarkdownCell("`x`_*[l](u)"), "\\`x\\`\\_\\*\\[l\\](u)");
 * ```
 */
export function forMarkdownCell(text: string, maxLength?: number): string {
  return forTerminal(
    cut(text, maxLength).replace(/\r\n|[\r\n\u2028\u2029]/g, " "),
  )
    .replace(/[\\|`*_~[\]]/g, (c) => `\\${c}`)
    .replace(
      /[&<>]/g,
      (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;",
    );
}
