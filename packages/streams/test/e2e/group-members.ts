/**
 * Prints how many members a group has, for a test that blocks its own event loop and so
 * can only ask synchronously (from a child process). Args: brokers (comma-separated), group.
 */
import { Client, silentLogger } from '@tributary/client';

const [brokers = '', groupId = ''] = process.argv.slice(2);
const admin = new Client({
  clientId: 'group-members',
  brokers: brokers.split(','),
  logger: silentLogger,
}).admin();
await admin.connect();
const { groups } = await admin.describeGroups([groupId]);
console.log(String(groups[0]?.members.length ?? 0));
await admin.disconnect();
