/**
 * The flags of discovery (`--org`, `--match`, `--exclude`, `--topic`): the
 * option table's entries for targets read from the server's API, with
 * their checks; and `--check`, the list-drift gate of `cascade targets`. `options.ts` takes them into {@linkcode OPTIONS} as they
 * are; each check throws a `UsageError` naming the flag.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { asList, asText, type Raw } from "./flag_values.ts";
import { quotedValue } from "../console/secret_forms.ts";

const list = asList;

/**
 * The discovery entries of the option table, in `--help` order, and
 * `check`, the `targets` command's gate.
 */
export const DISCOVERY_OPTIONS = {
  org: {
    kind: "list" as const,
    group: "discovery" as const,
    arg: "<owner>",
    help: "every repo of this organisation or user on --base-url (repeatable)",
    value: (raw: Raw) => list(raw).map((o) => ownerName("--org", o)),
  },
  match: {
    kind: "list" as const,
    group: "discovery" as const,
    arg: "<glob>",
    help: "keep discovered repos whose name matches (repeatable)",
    value: (raw: Raw) => list(raw).map((g) => glob("--match", g)),
  },
  exclude: {
    kind: "list" as const,
    group: "discovery" as const,
    arg: "<glob>",
    help: "drop discovered repos whose name matches (repeatable)",
    value: (raw: Raw) => list(raw).map((g) => glob("--exclude", g)),
  },
  topic: {
    kind: "list" as const,
    group: "discovery" as const,
    arg: "<name>",
    help: "keep discovered repos with this topic (repeatable)",
    value: (raw: Raw) => list(raw).map((t) => topicName(t)),
  },
  check: {
    configKey: null,
    kind: "string" as const,
    group: "check" as const,
    arg: "<file>",
    help: "compare this repos file with the server; exit 1 on a difference",
    value: (raw: Raw) => asText(raw),
  },
};

/** An organisation or user name as Gitea allows it. */
function ownerName(flag: string, owner: string): string {
  const name = owner.trim();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$/.test(name)) {
    throw new UsageError(
      `${flag} ${
        quotedValue(owner, 60)
      } is not an organisation or user name (letters, digits, '-', '_', '.')`,
    );
  }
  return name;
}

/** A name glob: `*`, `?` and the characters of repo names, `/` for owner. */
function glob(flag: string, pattern: string): string {
  if (!/^[A-Za-z0-9_.*?/-]{1,141}$/.test(pattern)) {
    throw new UsageError(
      `${flag} ${
        quotedValue(pattern, 60)
      } must be a name pattern of letters, digits, '-', '_', '.', '*', '?' (and '/' between owner and name)`,
    );
  }
  return pattern;
}

/** A topic as Gitea stores it (lower-case letters, digits, '-', '.'). */
function topicName(topic: string): string {
  const name = topic.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9.-]{0,34}$/.test(name)) {
    throw new UsageError(
      `--topic ${
        quotedValue(topic, 60)
      } is not a Gitea topic (letters, digits, '-' and '.', at most 35)`,
    );
  }
  return name;
}
