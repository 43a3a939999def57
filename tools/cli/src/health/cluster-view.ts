/** The controller's view of the cluster (DescribeCluster), as the client returns it. */
import type { Admin } from '@tributary/client';

export type ClusterView = Awaited<ReturnType<Admin['describeCluster']>>;
export type BrokerStatus = ClusterView['brokers'][number];

export function brokerAddress(broker: { readonly host: string; readonly port: number }): string {
  return broker.host.includes(':')
    ? `[${broker.host}]:${broker.port}`
    : `${broker.host}:${broker.port}`;
}
