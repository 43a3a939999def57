/** What every checker returns: a verdict, an exact count and a few examples to read. */

import type { History } from '../history/operation.ts';
import { checkerExamplesMax } from '../limits.ts';

export type CheckerName =
  | 'lost-write'
  | 'unseen'
  | 'duplicate'
  | 'inconsistent-offsets'
  | 'nonmonotonic-send'
  | 'nonmonotonic-poll'
  | 'poll-skip'
  | 'phantom'
  | 'aborted-read'
  | 'reader-divergence'
  | 'committed-undelivered'
  | 'nonmonotonic-commit'
  | 'double-ownership'
  | 'metadata-divergence';

export interface CheckResult {
  readonly checker: CheckerName;
  readonly valid: boolean;
  /** Anomalies found (exact). */
  readonly count: number;
  /** How many things were examined (sends, offsets, polls...), to tell "clean" from "empty". */
  readonly checked: number;
  /** At most `checkerExamplesMax` anomalies, the first ones found. */
  readonly examples: readonly unknown[];
}

export type Checker = (history: History) => CheckResult;

/** Collects anomalies with a bounded example list. */
export class Anomalies {
  count = 0;
  checked = 0;
  readonly examples: unknown[] = [];

  constructor(readonly checker: CheckerName) {}

  add(example: unknown): void {
    this.count++;
    if (this.examples.length < checkerExamplesMax) this.examples.push(example);
  }

  result(): CheckResult {
    return {
      checker: this.checker,
      valid: this.count === 0,
      count: this.count,
      checked: this.checked,
      examples: this.examples,
    };
  }
}
