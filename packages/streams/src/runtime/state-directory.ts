/**
 * The instance's state directory: `<stateDir>/<applicationId>/<taskId>/<store>.{snapshot,log}`,
 * locked by one process at a time (a lock file holding the owner's pid; a lock left by a
 * dead process is taken over).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StreamsError } from '../errors.ts';
import { StoreFile } from '../state/store-file.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StateDirectory {
  readonly root: string;
  private readonly lockPath: string;
  private locked = false;

  constructor(stateDir: string, applicationId: string) {
    this.root = join(stateDir, applicationId);
    this.lockPath = join(this.root, '.lock');
  }

  lock(): void {
    mkdirSync(this.root, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.locked = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number(readFileSync(this.lockPath, 'utf8'));
        if (Number.isSafeInteger(owner) && owner !== process.pid && alive(owner)) {
          throw new StreamsError(
            'STATE_DIR_LOCKED',
            `state directory ${this.root} is used by process ${owner}`,
          );
        }
        rmSync(this.lockPath, { force: true });
      }
    }
    throw new StreamsError('STATE_DIR_LOCKED', `cannot lock state directory ${this.root}`);
  }

  storeFile(taskId: string, store: string): StoreFile {
    return new StoreFile(join(this.root, taskId), store);
  }

  unlock(): void {
    if (this.locked) rmSync(this.lockPath, { force: true });
    this.locked = false;
  }
}
