/**
 * The world of the pull-request tests: templates on the stand-in Gitea
 * with its pulls API attached (and CI that turns green when asked), and a
 * cascade run against them with fast CI polling.
 *
 * @module
 */

import { runCascade } from "./fixtures.ts";
import type { Fixture } from "./fixtures.ts";
import { attachPulls, type GiteaPulls } from "./gitea_pulls.ts";
import { args, BUILD, ENV, FAST, setup } from "./wait_fixtures.ts";
import type { GiteaServer } from "./gitea_api.ts";

/** Templates `names` with the pulls API; with `ci`, one build context. */
export async function world(
  fx: Fixture,
  names: string[],
  ci: boolean,
): Promise<{ gitea: GiteaServer; pulls: GiteaPulls; repos: string[] }> {
  const { gitea, repos } = await setup(
    fx,
    names,
    ci ? { contexts: [BUILD] } : null,
  );
  return { gitea, pulls: attachPulls(gitea, `${fx.root}/srv`), repos };
}

/** `cascade push <version>` over `names`, with `more` flags. */
export async function push(
  gitea: GiteaServer,
  names: string[],
  more: string[],
  version = "0.2",
): Promise<Awaited<ReturnType<typeof runCascade>>> {
  const argv = args(gitea, names, more);
  argv[1] = version;
  return await runCascade(argv, ENV, { ciPolling: FAST });
}
