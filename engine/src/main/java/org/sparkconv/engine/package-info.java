/**
 * The sparkconv convolutional network engine: plain Java, NCHW float32, no Spark and no Hadoop.
 *
 * <p>Sub-packages: {@code tensor} (shapes and views), {@code math} (the GEMM seam and im2col),
 * {@code layer} (one layer per file, each with its immutable spec), {@code loss}, {@code net}
 * (specs, parameter layout, the sequential network).
 */
package org.sparkconv.engine;
