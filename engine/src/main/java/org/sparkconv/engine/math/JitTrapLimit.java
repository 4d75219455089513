package org.sparkconv.engine.math;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The JVM setting the vector kernels need: {@code -XX:PerMethodTrapLimit} well above its default
 * of 100. C2 (JDK 17) adds up, over every method it inlines into one compile, the class-check
 * traps their profiles recorded; at that limit it stops inlining the calls it can only bind by
 * their type profile. Each lane-wise Vector API operation inlines {@code VectorOperators.opCode}
 * and {@code ImplCache.find}, which gather a few such traps once kernels with other operators
 * have run (4 and 2 in a logged VGG-small run). So a kernel with some twenty operations can reach
 * the limit, depending on the order of compiles, and its later operations then read the species
 * from a vector whose class is not known: not a constant, so they run on the API's Java fallback,
 * allocating a vector each. VGG-small training at one thread: 2 of 12 runs at 890-914 img/s
 * against 1,240-1,368 in the others (here, 2026-12-01), every one of ten runs clean with
 * {@code -XX:PerMethodTrapLimit=100000}. The scripts, the tests and the Spark JVM flags pass it;
 * where a JVM runs without it, {@link #warning()} says so once.
 */
final class JitTrapLimit {

  /** What the scripts pass: far above any sum of traps a compile of these kernels inlines. */
  static final long RECOMMENDED = 100_000;

  private JitTrapLimit() {}

  /** The one-line warning for a JVM whose limit is {@code configured}, if it is too low. */
  static Optional<String> warning(OptionalLong configured) {
    if (configured.isEmpty() || configured.getAsLong() >= RECOMMENDED) {
      return Optional.empty();
    }
    return Optional.of("sparkconv: WARNING: this JVM runs with -XX:PerMethodTrapLimit="
        + configured.getAsLong() + "; the JIT may then leave vector kernels on the Vector API's"
        + " slow Java fallback (in some runs, ~30% slower steps): start it with"
        + " -XX:PerMethodTrapLimit=" + RECOMMENDED + " (the sparkconv scripts do)");
  }

  /** The warning for this JVM, if its limit is too low (nothing where it cannot be read). */
  static Optional<String> warning() {
    return warning(configured());
  }

  /** This JVM's {@code PerMethodTrapLimit}, or empty where it is not HotSpot. */
  static OptionalLong configured() {
    try {
      HotSpotDiagnosticMXBean bean =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      return bean == null ? OptionalLong.empty()
          : OptionalLong.of(Long.parseLong(bean.getVMOption("PerMethodTrapLimit").getValue()));
    } catch (IllegalArgumentException | LinkageError e) {
      return OptionalLong.empty();
    }
  }
}
