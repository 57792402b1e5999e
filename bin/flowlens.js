#!/usr/bin/env node
// The flowlens command: runs the compiled CLI (npm run build first; `npm start` does).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli')) {
    console.error('flowlens is not built yet: run `npm run build` (or `npm start`) first.');
    process.exit(1);
  }
  throw err;
});
