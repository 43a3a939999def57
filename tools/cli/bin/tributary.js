#!/usr/bin/env node
// Launcher for `npx tributary`: registers tsx (TypeScript, no build step), then runs the CLI.
import 'tsx';

await import('../src/main.ts');
