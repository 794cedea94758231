"""GC pauses of the sidecar per phase of a SwapBenchmark run.

usage: python3 gc_by_phase.py BENCHMARK_STDOUT GC_LOG, where GC_LOG is what the sidecar wrote with
--server-jvm-args "-Xlog:gc:file=GC_LOG:time"; the phases' wall-clock bounds come from the log lines.
"""
import re, sys, datetime as dt
phases = []
for line in open(sys.argv[1]):
    m = re.match(r'^(round \d+ )?\s*(warm-up|baseline|swaps): .*; (\S+) to (\S+)$', line.strip())
    if m:
        name = (m.group(1) or '').strip() + ' ' + m.group(2)
        phases.append((name.strip(), dt.datetime.fromisoformat(m.group(3).replace('Z', '+00:00')),
                       dt.datetime.fromisoformat(m.group(4).replace('Z', '+00:00'))))
pauses = []
for line in open(sys.argv[2]):
    m = re.match(r'^\[([^\]]+)\].*GC\(\d+\) Pause (\S+).* ([\d.]+)ms$', line.strip())
    if m:
        t = m.group(1)
        t = re.sub(r'([+-]\d\d)(\d\d)$', r'\1:\2', t)
        pauses.append((dt.datetime.fromisoformat(t), m.group(2), float(m.group(3))))
for name, a, b in phases:
    ps = [p for p in pauses if a <= p[0] <= b]
    secs = (b - a).total_seconds()
    tot = sum(p[2] for p in ps)
    mx = max([p[2] for p in ps], default=0)
    print(f"{name:18s} {secs:6.1f} s  {len(ps):4d} pauses  {len(ps)/secs:5.2f}/s  total {tot:7.1f} ms  max {mx:5.1f} ms")
