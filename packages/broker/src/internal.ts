export * as groups from './groups/index.ts';
export { InternalClient } from './node/internal-client.ts';
