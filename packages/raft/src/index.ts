// The core's vocabulary: entries, messages, Ready, LogReader.
export * from './core/types.ts';
