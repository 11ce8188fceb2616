/**
 * Which inputs a workflow file's `workflow_dispatch` trigger declares, read
 * without a YAML library: a line scanner for the block style workflows are
 * written in. It reads the top-level `on:` key as a scalar
 * (`on: workflow_dispatch`), a flow list (`on: [push, workflow_dispatch]`),
 * a block list, or a block mapping whose `workflow_dispatch:` key may hold
 * `inputs:`, whose keys are the input names. Comments, quoted keys, blank
 * lines, block scalars (skipped by indentation) and `&anchors` are
 * understood.
 *
 * Limits, each answered as `unreadable` (never as a guess): flow mappings
 * (`on: {workflow_dispatch: …}`), aliases and merge keys (`*x`, `<<:`),
 * tabs in indentation, more than one document, and files over 256 KiB.
 * Keys are matched as written (`on`, not YAML 1.1's `true`).
 *
 * @example The inputs of a dispatchable workflow
 * ```ts
 * import assert from "node:assert/strict";
 * import { workflowProblem } from "./workflow_file.ts";
 *
 * const text = [
 *   "on:",
 *   "  push:",
 *   "  workflow_dispatch:",
 *   "    inputs:",
 *   "      runtime_version: # what to build against",
 *   "        required: false",
 * ].join("\n");
 * assert.equal(workflowProblem(text, "w.yml", ["runtime_version"]), null);
 * assert.equal(
 *   workflowProblem(text, "w.yml", ["channel"]),
 *   "w.yml does not declare the input channel under workflow_dispatch",
 * );
 * ```
 *
 * @module
 */

/** What a workflow file says about `workflow_dispatch`. */
type DispatchDeclaration =
  | { kind: "dispatch"; inputs: string[] }
  | { kind: "no_dispatch" }
  | { kind: "unreadable"; why: string };

/** The largest workflow file read, in bytes. */
export const MAX_WORKFLOW_BYTES = 256 * 1024;

interface Line {
  indent: number;
  text: string;
}

/** Characters an unquoted key may not start with (YAML indicators). */
const KEY_START_BAD = new Set(" \t\"'#&*!|>%@`{}[],?:-");
/** Line terminators a value may not hold (the old `.` would not match). */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * `key: value` read in one pass (linear in the line): a double-quoted key
 * without escapes, a single-quoted key, or a plain key (not starting with
 * an indicator; `-x` allowed) up to the first `:`, holding no `#`; then
 * `:` and the end of the line, or blanks and the value. Null otherwise.
 */
function splitKey(text: string): { key: string; value: string } | null {
  let key: string;
  let at: number;
  const first = text[0] ?? "";
  if (first === '"' || first === "'") {
    const close = text.indexOf(first, 1);
    if (close < 0) return null;
    key = text.slice(1, close);
    if (first === '"' && key.includes("\\")) return null;
    at = close + 1;
    while (at < text.length && /\s/.test(text[at] ?? "")) at++;
    if (text[at] !== ":") return null;
  } else {
    const second = text[1] ?? "";
    if (first === "" || /\s/.test(first)) return null;
    if (first === "-") {
      if (second === "" || /[\s:#]/.test(second)) return null;
    } else if (KEY_START_BAD.has(first)) return null;
    at = text.indexOf(":");
    if (at < 0) return null;
    key = text.slice(0, at);
    if (key.includes("#")) return null;
    key = key.trimEnd();
  }
  const rest = text.slice(at + 1);
  if (rest === "") return { key, value: "" };
  if (!/\s/.test(rest[0] ?? "")) return null;
  const value = rest.trimStart();
  if (LINE_BREAK.test(value)) return null;
  return { key, value };
}

class Unreadable extends Error {}

/** Drops a comment (a `#` outside quotes, at the start or after a space). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1] ?? ""))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw).trimEnd();
    if (line.trim() === "") continue;
    const indent = line.length - line.trimStart().length;
    if (/^\s*\t/.test(line) || line.slice(0, indent).includes("\t")) {
      throw new Unreadable("it indents with tabs");
    }
    if (indent === 0 && /^(---|\.\.\.)(\s|$)/.test(line)) {
      if (lines.length > 0) throw new Unreadable("it holds several documents");
      continue;
    }
    lines.push({ indent, text: line.trimStart() });
  }
  return lines;
}

/** `key: value` → [key, value]; null when the line is not a mapping key. */
function keyOf(text: string): [string, string] | null {
  const m = splitKey(text);
  if (m === null) return null;
  const key = m.key;
  if (key === "<<") throw new Unreadable("it uses a merge key (<<)");
  let value = m.value.trim();
  if (value.startsWith("*")) throw new Unreadable("it uses an alias (*)");
  value = value.replace(/^&\S+\s*/, "");
  return [key, value];
}

/** The lines of the block under line `at` (those indented deeper). */
function childrenOf(lines: readonly Line[], at: number): Line[] {
  const parent = lines[at]?.indent ?? 0;
  const children: Line[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.indent <= parent) break;
    children.push(line);
  }
  return children;
}

/** The keys of a block mapping (its lines at the first line's indent). */
function mappingKeys(block: readonly Line[]): [string, string, number][] {
  const indent = block[0]?.indent;
  const keys: [string, string, number][] = [];
  block.forEach((line, i) => {
    if (line.indent !== indent) return;
    const kv = keyOf(line.text);
    if (kv === null) throw new Unreadable(`cannot read "${cut(line.text)}"`);
    keys.push([kv[0], kv[1], i]);
  });
  return keys;
}

/** A bit of the file for a message: short, control and bidi marks escaped. */
function cut(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return short.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function unquote(text: string): string {
  return text.trim().replace(/^(["'])(.*)\1$/, "$2");
}

/** A value with nothing more to read in it: `null`, `~`, `{}`, or empty. */
function isEmptyValue(value: string): boolean {
  return value === "" || value === "null" || value === "~" ||
    value === "{}";
}

/** The names under the mapping at `block` (flow mappings: unreadable). */
function namesUnder(value: string, block: readonly Line[]): string[] {
  if (value.startsWith("{") && value !== "{}") {
    throw new Unreadable("it writes a mapping in flow style ({...})");
  }
  if (!isEmptyValue(value)) throw new Unreadable(`cannot read "${cut(value)}"`);
  return block.length === 0 ? [] : mappingKeys(block).map(([k]) => k);
}

function readOn(value: string, block: readonly Line[]): DispatchDeclaration {
  const listed = (items: string[]): DispatchDeclaration =>
    items.map(unquote).includes("workflow_dispatch")
      ? { kind: "dispatch", inputs: [] }
      : { kind: "no_dispatch" };
  if (value.startsWith("[")) {
    if (!value.endsWith("]")) throw new Unreadable("cannot read its on: list");
    return listed(value.slice(1, -1).split(","));
  }
  if (value.startsWith("{")) {
    throw new Unreadable("it writes on: in flow style ({...})");
  }
  if (value !== "") return listed([value]);
  if (block.length === 0) return { kind: "no_dispatch" };
  if (block[0]?.text.startsWith("-")) {
    return listed(
      block.filter((l) => l.indent === block[0]?.indent).map((l) =>
        l.text.replace(/^-\s*/, "")
      ),
    );
  }
  const dispatch = mappingKeys(block).find(([k]) => k === "workflow_dispatch");
  if (dispatch === undefined) return { kind: "no_dispatch" };
  const [, dispatchValue, at] = dispatch;
  const under = childrenOf(block, at);
  if (dispatchValue !== "") namesUnder(dispatchValue, under);
  if (under.length === 0) return { kind: "dispatch", inputs: [] };
  const inputs = mappingKeys(under).find(([k]) => k === "inputs");
  if (inputs === undefined) return { kind: "dispatch", inputs: [] };
  return {
    kind: "dispatch",
    inputs: namesUnder(inputs[1], childrenOf(under, inputs[2])),
  };
}

/** Reads the `workflow_dispatch` trigger and its inputs from a workflow. */
function readDispatchInputs(text: string): DispatchDeclaration {
  if (text.length > MAX_WORKFLOW_BYTES) {
    return { kind: "unreadable", why: "it is larger than 256 KiB" };
  }
  try {
    const lines = linesOf(text);
    const at = lines.findIndex((l) => {
      if (l.indent !== 0) return false;
      return keyOf(l.text)?.[0] === "on";
    });
    if (at < 0) return { kind: "no_dispatch" };
    const [, value] = keyOf(lines[at]?.text ?? "") ?? ["", ""];
    return readOn(value, childrenOf(lines, at));
  } catch (error) {
    if (error instanceof Unreadable) {
      return { kind: "unreadable", why: error.message };
    }
    throw error;
  }
}

/**
 * Why a template's workflow would not take the inputs, or null when it
 * declares `workflow_dispatch` and every one of `inputs`.
 */
export function workflowProblem(
  text: string,
  path: string,
  inputs: readonly string[],
): string | null {
  const found = readDispatchInputs(text);
  if (found.kind === "no_dispatch") {
    return `${path} has no workflow_dispatch trigger`;
  }
  if (found.kind === "unreadable") {
    return `cannot tell whether ${path} takes the inputs: ${found.why}`;
  }
  const missing = inputs.filter((name) => !found.inputs.includes(name));
  if (missing.length === 0) return null;
  return `${path} does not declare the input${missing.length > 1 ? "s" : ""} ${
    missing.join(", ")
  } under workflow_dispatch`;
}
