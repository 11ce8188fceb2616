/**
 * The run's access to the forge API: whether cascade may open connections
 * itself (`--allow-net`, asked of Deno without a prompt).
 *
 * @module
 */

/** Answers a permission query without prompting (`querySync` by default). */
export type PermissionQuery = (
  descriptor: Deno.PermissionDescriptor,
) => Deno.PermissionState;

/** The real query: `Deno.permissions.querySync`, state only. */
export function queryPermission(
  descriptor: Deno.PermissionDescriptor,
): Deno.PermissionState {
  return Deno.permissions.querySync(descriptor).state;
}
