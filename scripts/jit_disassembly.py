#!/usr/bin/env python3
"""Decodes the machine code HotSpot prints for one method (-XX:CompileCommand=print) with
binutils' objdump, and counts its instructions by kind; for scripts/disassemble.sh.

Without the hsdis plugin, JDK 17 prints a compiled method's code as hex words under
[MachCode]; this reads the last C2 (tier 4) method of the name from that log, lays its bytes
out at their addresses, and has objdump decode them. Reads the log on standard input:
    jit_disassembly.py NAME < log
NAME as the log spells it: org.sparkconv.engine.math.WinogradLanesKernel::transformInput4.
"""
import collections
import re
import subprocess
import sys
import tempfile

HEX_LINE = re.compile(r"\s*0x([0-9a-f]+): ((?:[0-9a-f]{4} ?\|? ?)+)\s*$")


def last_c2_block(log, name):
    """The lines of the last tier-4 method named `name`, from its header to the next header."""
    blocks, current = [], None
    for line in log.splitlines():
        if line.startswith("Compiled method ("):
            current = [] if "(c2)" in line and f" {name} " in line + " " else None
            if current is not None:
                blocks.append(current)
        if current is not None:
            current.append(line)
    return blocks[-1] if blocks else None


def code_bytes(block):
    """(first address, bytes) of the [MachCode] hex words; a repeated address is a label."""
    start, code = None, bytearray()
    for line in block:
        m = HEX_LINE.match(line)
        if not m:
            continue
        address = int(m.group(1), 16)
        if start is None:
            start = address
        if address < start + len(code):
            continue
        code += b"\x90" * (address - start - len(code))
        code += bytes.fromhex(m.group(2).replace("|", "").replace(" ", ""))
    return start, bytes(code)


def kind(mnemonic, operands):
    """A coarse class an instruction counts in."""
    vector = "mm" in operands
    memory = "PTR" in operands
    if mnemonic.startswith("j") or mnemonic in ("cmp", "test"):
        return "compare or branch"
    if "rsp" in operands and memory:
        return "stack (spills, frame)"
    if vector and mnemonic.startswith("vfmadd"):
        return "vector fused multiply-add"
    if vector and memory and mnemonic.startswith(("vmov", "vbroadcast")):
        return "vector load or store"
    if mnemonic in ("vmovq", "vmovd") and not memory:
        return "general register <-> vector register"
    if vector:
        return "other vector"
    return "other scalar"


def main():
    name = sys.argv[1]
    block = last_c2_block(sys.stdin.read(), name)
    if block is None:
        sys.exit(f"jit_disassembly: no C2 code for {name} in the log (did the method reach tier 4? "
                 "is the name spelt Class::method with its package?)")
    start, code = code_bytes(block)
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        listing = subprocess.run(
            ["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel",
             f"--adjust-vma={start:#x}", f.name],
            check=True, capture_output=True, text=True).stdout
    instructions = []  # (address, mnemonic, operands)
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip():
            continue
        fields = parts[2].split(None, 1)
        instructions.append((int(parts[0].strip().rstrip(":"), 16), fields[0],
                             fields[1] if len(fields) > 1 else ""))
        print(f"{parts[0].strip()}\t{parts[2].strip()}")
    print(f"\n{name}: {len(instructions)} instructions in its C2 code ({len(code)} bytes)")
    # A loop is a branch back to an earlier address: its body runs from there to the branch.
    # Only bodies count: the rest of a method is set-up and the stubs that leave compiled code.
    loops = []
    for address, mnemonic, operands in instructions:
        target = re.match(r"0x([0-9a-f]+)$", operands.strip())
        if mnemonic.startswith("j") and target and start <= int(target.group(1), 16) <= address:
            loops.append((int(target.group(1), 16), address))
    vector_work = ("vector fused multiply-add", "vector load or store", "other vector")
    without = 0
    for first, last in sorted(set(loops), key=lambda loop: loop[1] - loop[0]):
        body = [(m, o) for a, m, o in instructions if first <= a <= last]
        counts = collections.Counter(kind(m, o) for m, o in body)
        if not any(counts[k] for k in vector_work):
            without += 1  # the branches back of spill and deoptimization paths
            continue
        print(f"  loop {first:#x}-{last:#x}: {len(body)} instructions, by kind:")
        for k, n in counts.most_common():
            print(f"    {n:5d}  {100 * n / len(body):5.1f}%  {k}")
    if without:
        print(f"  ({without} more branches back over code without vector work not shown)")
    if not loops:
        print("  no loop in it")


if __name__ == "__main__":
    main()
