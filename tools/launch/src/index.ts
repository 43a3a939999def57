export {
  LocalCluster,
  type LocalClusterOptions,
  type NodeAddresses,
  NodeExitedError,
} from './local-cluster.ts';
export { freePorts } from './ports.ts';
