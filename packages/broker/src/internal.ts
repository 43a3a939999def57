export * as groups from './groups/index.ts';
