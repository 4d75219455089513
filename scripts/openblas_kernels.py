"""Makes OpenBLAS run the kernels this CPU has, for the scripts that time PyTorch.

Debian 12's OpenBLAS 0.3.21 does not know CPUs newer than it, Sapphire Rapids among them, and
falls back to its Prescott kernels (SSE3): PyTorch's matrix products (its dense layers, and
convolutions that oneDNN does not take) then run at a fifth of their speed. Measured on this
project's machine, 2026-12-02, one thread, 2048^3 sgemm through torch.mm: 13-15 GMAC/s as
detected, 76 with OPENBLAS_CORETYPE=SkylakeX; whole PyTorch steps, turn by turn, 1.05x (VGG-small
training) to 1.23x (LeNet-5) faster. An expert timing PyTorch would name the core, so the
timing scripts do: call ensure_cpu_kernels() before importing torch.

  python3 scripts/openblas_kernels.py core

prints the core to export as OPENBLAS_CORETYPE (scripts/common.sh does, for the engine): the
one the CPU's flags allow where OpenBLAS fell back to its generic kernels, else the one OpenBLAS
chose; nothing where OPENBLAS_CORETYPE is set already or OpenBLAS cannot be loaded. The engine
reads it to choose its GEMM (engine/.../math/GemmSelector.java).
"""
import ctypes
import os
import sys

# OpenBLAS's answer when its DYNAMIC_ARCH build does not recognise the CPU.
GENERIC_CORE = "prescott"


def ensure_cpu_kernels():
    """Returns when OpenBLAS runs kernels fit for this CPU, or cannot be asked (not installed,
    or OPENBLAS_CORETYPE already set). Otherwise re-executes this script with OPENBLAS_CORETYPE
    naming the best core the CPU's flags allow (SkylakeX with AVX-512, Haswell with AVX2 and
    FMA), saying so on standard error; the core is read when the library loads, hence the
    fresh process."""
    wanted = corrected_core()
    if wanted is None:
        return
    print(f"{os.path.basename(sys.argv[0])}: OpenBLAS took this CPU for "
          f"{GENERIC_CORE.capitalize()} (generic SSE3 kernels); running again with "
          f"OPENBLAS_CORETYPE={wanted}", file=sys.stderr)
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, OPENBLAS_CORETYPE=wanted))


def detected_core():
    """The core OpenBLAS chose for this CPU (or was told), or None without OpenBLAS."""
    try:
        openblas = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None
    openblas.openblas_get_corename.restype = ctypes.c_char_p
    return openblas.openblas_get_corename().decode()


def corrected_core():
    """The core OpenBLAS should be told to run where it fell back to its generic one and the
    CPU's flags allow better; None where OPENBLAS_CORETYPE is set, OpenBLAS is missing, or its
    own choice stands."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return None
    core = detected_core()
    if core is None or core.lower() != GENERIC_CORE:
        return None
    return core_for(cpu_flags())


def core_to_export():
    """What `openblas_kernels.py core` prints: see the module's comment."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return None
    return corrected_core() or detected_core()


def core_for(flags):
    """The OpenBLAS core whose kernels a CPU with these /proc/cpuinfo flags runs, or None."""
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def cpu_flags():
    """The first processor's flags in /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


if __name__ == "__main__":
    if sys.argv[1:] != ["core"]:
        sys.exit("usage: openblas_kernels.py core")
    print(core_to_export() or "")
