package org.sparkconv.engine.math;

/**
 * Whether this JVM resolved {@code jdk.incubator.vector} (it runs with
 * {@code --add-modules jdk.incubator.vector}). Classes that use the Vector API are touched only
 * when it did: their initialisers need the module.
 */
final class VectorApi {

  static final boolean RESOLVED =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private VectorApi() {}
}
