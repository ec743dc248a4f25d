/**
 * What the benchmark reads from /proc about the runtime: the workerd processes under a launcher,
 * their CPU time (utime + stime) and their resident memory (VmRSS).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' '); // f[0] is field 3 (state)
    return { pid, comm, ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (not `root` itself). */
export function descendants(root) {
  const all = [];
  for (const d of readdirSync('/proc')) if (/^\d+$/.test(d)) {
    const s = stat(Number(d));
    if (s) all.push(s);
  }
  const out = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop();
    for (const s of all) if (s.ppid === p) {
      out.push(s);
      frontier.push(s.pid);
    }
  }
  return out;
}

/** The workerd processes started under `root` (wrangler dev spawns one). */
export function workerdPids(root) {
  return descendants(root).filter((s) => s.comm.startsWith('workerd')).map((s) => s.pid);
}

/** CPU time of the given processes, in milliseconds. */
export function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const s = stat(pid);
    if (s) ticks += s.utime + s.stime;
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Resident memory of the given processes, in KiB. */
export function rssKiB(pids) {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch { /* gone */ }
  }
  return kib;
}
