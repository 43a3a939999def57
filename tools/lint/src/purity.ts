/**
 * The purity rule: code that the deterministic simulator runs must not reach for
 * time, randomness, timers or the operating system on its own. Those are handed in
 * (a Clock, a seeded Prng, a FileSystem, a PeerTransport). Biome has no rule that
 * says this precisely, so this small checker does, and `npm run lint` runs it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface PureArea {
  /** Folder, relative to the repository root, whose .ts files must stay pure. */
  readonly folder: string;
  /** `node:` modules this area may still import (for example `node:zlib` for codecs). */
  readonly allowedNodeModules?: readonly string[];
}

export interface PurityViolation {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

const forbiddenPatterns: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /\bDate\.now\s*\(/, reason: 'reads the wall clock (use the injected Clock)' },
  { pattern: /\bnew\s+Date\s*\(\s*\)/, reason: 'reads the wall clock (use the injected Clock)' },
  { pattern: /\bperformance\.now\s*\(/, reason: 'reads a clock (use the injected Clock)' },
  { pattern: /\bprocess\.hrtime\b/, reason: 'reads a clock (use the injected Clock)' },
  { pattern: /\bMath\.random\s*\(/, reason: 'draws randomness (use the injected Prng)' },
  { pattern: /\bcrypto\.getRandomValues\b/, reason: 'draws randomness (use the injected Prng)' },
  { pattern: /\bset(Timeout|Interval|Immediate)\s*\(/, reason: 'starts a timer (the host ticks)' },
  { pattern: /\bqueueMicrotask\s*\(/, reason: 'schedules work (the host drives)' },
];

const importPattern =
  /(?:from\s+|import\s*\(\s*|import\s+)['"](node:[^'"]+|fs|path|os|net|http|crypto|child_process|worker_threads)['"]/;

function listTypeScriptFiles(folder: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) files.push(...listTypeScriptFiles(path));
    else if (name.endsWith('.ts')) files.push(path);
  }
  return files;
}

function stripComments(line: string): string {
  const commentAt = line.indexOf('//');
  return commentAt === -1 ? line : line.slice(0, commentAt);
}

export function checkSource(file: string, source: string, area: PureArea): PurityViolation[] {
  const violations: PurityViolation[] = [];
  const allowed = new Set(area.allowedNodeModules ?? []);
  const lines = source.split('\n');
  let inBlockComment = false;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (inBlockComment) {
      if (trimmed.includes('*/')) inBlockComment = false;
      return;
    }
    if (trimmed.startsWith('/*')) {
      if (!trimmed.includes('*/')) inBlockComment = true;
      return;
    }
    if (trimmed.startsWith('*')) return;
    const code = stripComments(raw);
    for (const { pattern, reason } of forbiddenPatterns) {
      if (pattern.test(code)) violations.push({ file, line: index + 1, reason });
    }
    const imported = importPattern.exec(code)?.[1];
    if (imported !== undefined && !allowed.has(imported)) {
      violations.push({
        file,
        line: index + 1,
        reason: `imports ${imported} (pass it in instead)`,
      });
    }
  });
  return violations;
}

export function checkAreas(root: string, areas: readonly PureArea[]): PurityViolation[] {
  const violations: PurityViolation[] = [];
  for (const area of areas) {
    const folder = join(root, area.folder);
    let files: string[];
    try {
      files = listTypeScriptFiles(folder);
    } catch {
      continue; // an area that does not exist yet has nothing to check
    }
    for (const file of files) {
      violations.push(...checkSource(relative(root, file), readFileSync(file, 'utf8'), area));
    }
  }
  return violations;
}
