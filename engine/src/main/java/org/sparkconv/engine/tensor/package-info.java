/** Shapes and flat float32 tensors in NCHW order. */
package org.sparkconv.engine.tensor;
