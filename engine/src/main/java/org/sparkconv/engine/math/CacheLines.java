package org.sparkconv.engine.math;

import java.lang.reflect.Field;

/**
 * Where a float array's cache lines begin, so that kernels can lay their vectors on line
 * boundaries. A 512-bit vector is a whole 64-byte line: read or written at an address that is
 * not a multiple of 64 it touches two lines, and each such access costs the core two. Java
 * places an array's first element 16 bytes past its header at any multiple of 8, so vectors
 * counted from index 0 are split unless the array happens to lie well.
 *
 * <p>{@link #firstLine} is the first index at a line boundary, read from the array's address
 * as it is now. The address is a performance hint only: a kernel that lays its data from that
 * index is correct from any index, and the garbage collector may move the array at any time
 * (after which its data is as well placed as it was before this class). Long-lived scratch is
 * moved by the first few collections only, then stays in the old generation.
 *
 * <p>The address is read through {@code sun.misc.Unsafe} (module {@code jdk.unsupported}, which
 * every JDK ships): an array's reference, stored in an {@code Object[]}, read back as the
 * number it is. With compressed references that number is the address shifted right by the
 * object alignment's bits (zero-based), or the address itself (unscaled, a heap below 4 GB);
 * which of the two is decided at start-up from a sample of objects. Where none of this is
 * available {@link #firstLine} is 0: the kernels run as they would without it.
 *
 * <p>Measured: the image-lanes input transform of one 16-image tile and channel, its input,
 * rows' scratch and positions all on line boundaries against all 4 floats past them,
 * 44.2-45.8 ns against 58.9-60.9 (30x30 plane, one thread, three JVMs); each of the three
 * alone on lines gained a third to a half of that.
 */
public final class CacheLines {

  /** Floats in a 64-byte line. */
  public static final int FLOATS = 16;
  private static final long LINE_BYTES = 64;
  private static final Reader READER = Reader.create();

  private CacheLines() {}

  /**
   * The first index of {@code a} whose element starts a 64-byte line where this JVM's
   * addresses can be read, else 0: in [0, {@link #FLOATS}).
   */
  public static int firstLine(float[] a) {
    long address = elementAddress(a);
    return address < 0 ? 0
        : (int) ((LINE_BYTES - address % LINE_BYTES) % LINE_BYTES) / Float.BYTES;
  }

  /**
   * The first index of {@code a} at or past {@code from} whose element starts a line (where
   * addresses can be read; else {@code from} itself or up to 15 past it, as {@link #firstLine}
   * is 0): scratch that starts after other data in the same array.
   */
  public static int lineFrom(float[] a, int from) {
    return from + Math.floorMod(firstLine(a) - from, FLOATS);
  }

  /** The address of {@code a[0]} as it is now, or -1 where it cannot be read. */
  static long elementAddress(float[] a) {
    Reader reader = READER;
    return reader == null ? -1 : reader.address(a) + reader.floatBase;
  }

  /** Whether {@link #firstLine} reads addresses on this JVM (else it is always 0). */
  public static boolean readsAddresses() {
    return READER != null;
  }

  /** Reads an object's address through a one-element {@code Object[]}. */
  private static final class Reader {
    private final sun.misc.Unsafe unsafe;
    private final long slot; // the holder's element offset
    private final boolean compressed;
    private final int shift; // the compressed number's bits below the address's
    final long floatBase; // bytes from a float[]'s address to its first element

    private Reader(sun.misc.Unsafe unsafe, boolean compressed, int shift) {
      this.unsafe = unsafe;
      this.slot = unsafe.arrayBaseOffset(Object[].class);
      this.compressed = compressed;
      this.shift = shift;
      this.floatBase = unsafe.arrayBaseOffset(float[].class);
    }

    long address(Object o) {
      Object[] holder = {o};
      long value = compressed ? unsafe.getInt(holder, slot) & 0xffff_ffffL
          : unsafe.getLong(holder, slot);
      return value << shift;
    }

    /** A reader for this JVM, or null where its references cannot be read as addresses. */
    static Reader create() {
      try {
        Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        sun.misc.Unsafe unsafe = (sun.misc.Unsafe) field.get(null);
        int scale = unsafe.arrayIndexScale(Object[].class);
        if (scale == 8) {
          return checked(new Reader(unsafe, false, 0));
        }
        if (scale != 4) {
          return null;
        }
        // Zero-based compressed references hold the address over the object alignment, any
        // number; unscaled ones the address, a multiple of it. 64 objects all at multiples
        // in the first reading would be a chance of at most 2^-64.
        int alignment = objectAlignment();
        Reader unscaled = new Reader(unsafe, true, 0);
        boolean allMultiples = true;
        for (int k = 0; k < 64 && allMultiples; k++) {
          allMultiples = unscaled.address(new float[k + 1]) % alignment == 0;
        }
        return checked(allMultiples ? unscaled
            : new Reader(unsafe, true, Integer.numberOfTrailingZeros(alignment)));
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return null;
      }
    }

    /** HotSpot's {@code ObjectAlignmentInBytes} (8 unless set), or 8 where it cannot be read. */
    private static int objectAlignment() {
      try {
        String value = java.lang.management.ManagementFactory
            .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
            .getVMOption("ObjectAlignmentInBytes").getValue();
        int alignment = Integer.parseInt(value);
        return Integer.bitCount(alignment) == 1 ? alignment : 8;
      } catch (RuntimeException | LinkageError e) {
        return 8;
      }
    }

    /** The reader if every address it reads of fresh arrays is a multiple of 8, else null. */
    private static Reader checked(Reader reader) {
      for (int k = 0; k < 64; k++) {
        if (reader.address(new float[k + 1]) % 8 != 0) {
          return null;
        }
      }
      return reader;
    }
  }
}
