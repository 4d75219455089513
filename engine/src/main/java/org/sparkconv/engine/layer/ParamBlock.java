package org.sparkconv.engine.layer;

/**
 * One named block of learnable parameters of a layer, e.g. a conv weight {@code (Cout, Cin, kh,
 * kw)}. The kind lets optimizers treat weights differently from biases and batch-norm affine
 * parameters (weight decay opt-outs).
 */
public record ParamBlock(String name, int length, Kind kind) {

  /** What a block is for. */
  public enum Kind { WEIGHT, BIAS, NORM_SCALE, NORM_SHIFT }
}
