/**
 * Numeric kernels: the single GEMM seam every matrix product goes through, its implementations,
 * and the im2col / col2im lowering that turns convolution into GEMM.
 *
 * <p><b>No vector crosses a method boundary</b> unless the method is tiny (under 35 bytes of
 * bytecode, {@code -XX:MaxInlineSize}: C2 inlines those at any call-site frequency, where a
 * larger method needs a call site its profile counts as hot; {@link PairLanes}'s are tiny). A helper that takes or returns a {@code FloatVector} is compiled
 * well only where C2 inlines it; where it does not, every call boxes its vectors and the
 * helper's own operations run on the Vector API's Java fallback, allocating a vector each.
 * Whether C2 inlines a helper of a few hundred bytes depends on its call-site counts when the
 * caller compiles, which differ from run to run (likely more so on two threads, whose profile
 * updates are not atomic). So helpers take arrays and offsets and load their own vectors. Found on 2026-12-05:
 * {@code Winograd4Kernel.transformSix}, then given six vectors, was left out of
 * {@code WinogradLanesKernel.transformInput4}'s compile in 4 of 95 runs of VGG-small's
 * two-thread inference, which then allocated 515 MB a step and ran at 3,919-4,909 img/s
 * against 8,600-14,000. {@code VectorBoundaryTest} runs model steps with no engine method
 * inlined but the tiny ones, and fails where a step allocates more than 5 MB.
 */
package org.sparkconv.engine.math;
