/**
 * A failed API call during discovery (`--org`, `--check`) as the error
 * that ends the run, with the run's exit code. (The client itself comes
 * from the run's `ForgeAccess`, in `access.ts`.)
 *
 * @module
 */

import { EXIT, UsageError } from "../errors.ts";
import { ForgeError } from "./client.ts";

/**
 * A failed API call during discovery as the error that ends the run: an
 * unknown owner is a usage error naming it (exit 2), a refused token exit
 * 3, anything else exit 1. Anything that is no {@linkcode ForgeError} is
 * thrown on.
 */
export function discoveryError(
  error: unknown,
  owner: string,
  flag = "--org",
): Error {
  if (!(error instanceof ForgeError)) return error as Error;
  if (error.kind === "not_found" && /\/(orgs|users)\//.test(error.path)) {
    return new UsageError(
      `${flag} ${owner}: no organisation or user of that name on the server (or the token may not see it); check the name`,
    );
  }
  if (error.kind === "auth") {
    return new UsageError(
      `${flag} ${owner}: the server refused the token: ${error.message}`,
      EXIT.credentials,
    );
  }
  return new UsageError(`${flag} ${owner}: ${error.message}`, EXIT.failed);
}
