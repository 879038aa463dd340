#!/usr/bin/env node
// Runs the compiled CLI; `npm run setup` builds it.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  console.error('Error: step-hrl is not built; run `npm run setup` in the project folder first');
  process.exit(1);
}
require(entry);
