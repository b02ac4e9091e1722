/**
 * The `optkit` executable. The `#!/usr/bin/env node` line of dist/bin.js comes from tsup's banner
 * (tsup.config.ts), so this source has none.
 */
import { main } from './program.js';

process.exitCode = await main(process.argv);
