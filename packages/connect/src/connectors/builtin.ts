/** The connector classes every worker knows. */
import type { ConnectorPlugin } from '../connector.ts';
import { fileSink } from './file/file-sink.ts';
import { fileSource } from './file/file-source.ts';
import { postgresSink } from './postgres/pg-sink.ts';
import { postgresSource } from './postgres/pg-source.ts';
import { sqliteSink } from './sqlite/sqlite-sink.ts';
import { sqliteSource } from './sqlite/sqlite-source.ts';

export const builtinPlugins: readonly ConnectorPlugin[] = [
  fileSource,
  fileSink,
  sqliteSource,
  sqliteSink,
  postgresSource,
  postgresSink,
];
