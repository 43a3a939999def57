/**
 * Preload that records where a process allocates, for finding per-record allocations:
 * V8's sampling heap profiler, told to keep the samples of objects the collector has
 * already freed (by default it reports only what is still alive, which hides exactly the
 * short-lived garbage a hot path makes). The profile is written when the process exits, to
 * `${HEAP_SAMPLING_OUT ?? '/tmp/heap-sampling'}-<pid>.json`; read it with heap-summary.ts.
 *
 *   node --import ./tools/bench/src/profiling/heap-sampling.mjs --import tsx <script>
 *   BENCH_NODE_ARGS="--import $PWD/tools/bench/src/profiling/heap-sampling.mjs" npx tsx <bench>
 *
 * Plain JavaScript: a node started with BENCH_NODE_ARGS loads it before the TypeScript loader.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.HEAP_SAMPLING_INTERVAL ?? 2048),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});

process.on('exit', () => {
  // The inspector answers in the same thread, so the profile is written before exit.
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) {
      console.error(`heap sampling: ${error.message}`);
      return;
    }
    const path = `${process.env.HEAP_SAMPLING_OUT ?? '/tmp/heap-sampling'}-${process.pid}.json`;
    writeFileSync(path, JSON.stringify(result.profile));
  });
});
