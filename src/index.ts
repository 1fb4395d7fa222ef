import * as core from '@actions/core';
import { handleSignals, STATE_NAME } from './cleanup.js';
import { run } from './main.js';

// A cancelled job stops its builds and removes what the run made; the post step removes what a killed run left.
handleSignals({ log: (message) => core.info(message), persist: (leftovers) => core.saveState(STATE_NAME, JSON.stringify(leftovers)) });
await run();
