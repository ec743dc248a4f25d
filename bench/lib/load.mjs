/**
 * The load generator: a fixed pool of `concurrency` workers, each running one operation after
 * another, bounded by a count and a time limit; latencies in milliseconds, errors counted (the first
 * one kept for the report), and the runtime's CPU time read around the measured part.
 */
import { cpuMs } from './proc.mjs';

/** Runs `op(slot)` on `concurrency` workers until `count` operations started or `ms` passed. */
export async function pool(op, { concurrency, count, ms }) {
  const latencies = [];
  let errors = 0;
  let firstError;
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  const worker = async (slot) => {
    while (started < count && performance.now() < deadline) {
      started++;
      const s = performance.now();
      try {
        await op(slot);
        latencies.push(performance.now() - s);
      } catch (e) {
        errors++;
        firstError ??= String(e?.message ?? e).slice(0, 300);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  return { latencies, errors, firstError, seconds: (performance.now() - t0) / 1000 };
}

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Warm-up, then the measured run. `pids()` gives the runtime's processes for CPU accounting.
 * @returns {{ops:number, rps:number, p50:number, p90:number, p99:number, errors:number, firstError?:string, cpuMsPerOp:number}}
 */
export async function measure(op, { concurrency, warmup, run, pids }) {
  const w = await pool(op, { concurrency, ...warmup });
  const ps = pids();
  const c0 = cpuMs(ps);
  const r = await pool(op, { concurrency, ...run });
  const c1 = cpuMs(ps);
  const sorted = r.latencies.sort((a, b) => a - b);
  const ops = sorted.length + r.errors;
  return {
    ops,
    rps: sorted.length / r.seconds,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    errors: r.errors + w.errors,
    firstError: w.firstError ?? r.firstError,
    cpuMsPerOp: ops ? (c1 - c0) / ops : NaN,
  };
}
