/**
 * Numeric kernels: the single GEMM seam every matrix product goes through, its implementations,
 * and the im2col / col2im lowering that turns convolution into GEMM.
 *
 * <p><b>No vector crosses a method boundary</b> unless the method is tiny (under 35 bytes of
 * bytecode, {@code -XX:MaxInlineSize}, which C2 inlines however rarely its call ran, as
 * {@link PairLanes}'s are). A helper that takes or returns a {@code FloatVector} is compiled
 * well only where C2 inlines it; where it does not, every call boxes its vectors and the
 * helper's own operations run on the Vector API's Java fallback, allocating a vector each.
 * Whether C2 inlines a helper of a few hundred bytes depends on its call-site counts when the
 * caller compiles, which differ from run to run (and with two threads, whose profile updates
 * race). So helpers take arrays and offsets and load their own vectors. Found on 2026-12-05:
 * {@code Winograd4Kernel.transformSix}, then given six vectors, was left out of
 * {@code WinogradLanesKernel.transformInput4}'s compile in 4 of 95 runs of VGG-small's
 * two-thread inference, which then allocated 515 MB a step and ran at 3,900-4,900 img/s
 * against 9,000-14,000. {@code VectorBoundaryTest} runs the models with no engine method
 * inlined and fails on any step that allocates.
 */
package org.sparkconv.engine.math;
