/**
 * Version negotiation: per API, the highest version both this build and the broker speak.
 * An API missing from the result is one the broker cannot serve at any common version.
 */
import { type Api, apiDefinitions, isApi } from '@tributary/protocol';

export interface BrokerApiRange {
  readonly api: number;
  readonly min: number;
  readonly max: number;
}

export function negotiateVersions(brokerApis: readonly BrokerApiRange[]): Map<Api, number> {
  const versions = new Map<Api, number>();
  for (const range of brokerApis) {
    if (!isApi(range.api)) continue; // an API newer than this client
    const ours = apiDefinitions[range.api];
    const high = Math.min(ours.maxVersion, range.max);
    const low = Math.max(ours.minVersion, range.min);
    if (high >= low) versions.set(range.api, high);
  }
  return versions;
}
