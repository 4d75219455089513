#!/usr/bin/python3
"""Times two benchmark processes turn by turn, so that both are measured in the same phase of a
machine whose speed drifts (this project's shared 2-core machine moved a whole run by 1.6x
within minutes, more than any difference measured). Not a test.

Each command is started (by bash -c) in turn and warms up alone until it prints a line beginning
"ready" (StepBenchmark --turns, pytorch_bench.py --turns); then, PAIRS times, each is sent "go
SECONDS" and answers "rate R [cpu/wall L]" after one timing of at least that long, A then B in odd
pairs and B then A in even ones, the other one idle meanwhile. Prints every pair to standard error
and one line to standard output:

  A-median B-median median-of-A/B lowest-A/B highest-A/B cpu/wall-of-B B's-ready-line

  /usr/bin/python3 scripts/bench_turns.py PAIRS SECONDS 'COMMAND A' 'COMMAND B'
"""
import statistics
import subprocess
import sys


def start(command):
    """Starts COMMAND and waits for its ready line; returns the process and the line's rest."""
    process = subprocess.Popen(["bash", "-c", command], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, bufsize=1)
    for line in process.stdout:
        if line.startswith("ready"):
            return process, line[len("ready"):].strip()
        sys.stderr.write(line)
    sys.exit(f"bench_turns: stopped before it was ready (exit {process.wait()}): {command}")


def turn(process, command, seconds):
    """One timing: its images a second and, where it reports one, its CPU over wall time."""
    process.stdin.write(f"go {seconds}\n")
    process.stdin.flush()
    line = process.stdout.readline()
    fields = line.split()
    if len(fields) < 2 or fields[0] != "rate":
        sys.exit(f"bench_turns: expected 'rate R', got {line.strip()!r} from: {command}")
    load = float(fields[3]) if len(fields) >= 4 and fields[2] == "cpu/wall" else float("nan")
    return float(fields[1]), load


def main():
    if len(sys.argv) != 5 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: bench_turns.py PAIRS SECONDS 'COMMAND A' 'COMMAND B'")
    pairs, seconds, commands = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    a, _ = start(commands[0])
    try:
        b, b_ready = start(commands[1])
    except SystemExit:
        a.kill()
        raise
    rates, loads = ([], []), []
    for p in range(pairs):
        order = (0, 1) if p % 2 == 0 else (1, 0)
        for side in order:
            rate, load = turn((a, b)[side], commands[side], seconds)
            rates[side].append(rate)
            if side == 1:
                loads.append(load)
        sys.stderr.write(f"pair {p + 1}: {rates[0][-1]:.0f} / {rates[1][-1]:.0f} = "
                         f"{rates[0][-1] / rates[1][-1]:.2f}\n")
    for process in (a, b):
        process.stdin.write("stop\n")
        process.stdin.close()
        process.wait()
    ratios = [x / y for x, y in zip(*rates)]
    print(f"{statistics.median(rates[0]):.0f} {statistics.median(rates[1]):.0f} "
          f"{statistics.median(ratios):.3f} {min(ratios):.3f} {max(ratios):.3f} "
          f"{statistics.median(loads):.2f} {b_ready}")


if __name__ == "__main__":
    main()
