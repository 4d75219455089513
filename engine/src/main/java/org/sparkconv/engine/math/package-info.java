/**
 * Numeric kernels: the single GEMM seam every matrix product goes through, its implementations,
 * and the im2col / col2im lowering that turns convolution into GEMM.
 */
package org.sparkconv.engine.math;
