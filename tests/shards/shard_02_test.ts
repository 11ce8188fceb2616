/** Shard 2 of the suite: see `load.ts`. */
import { loadShard } from "./load.ts";

await loadShard(2);
