/**
 * Layers, one per file. Each layer class holds a nested immutable {@code Spec} record (what a
 * model file says: kernel, stride, channels ...) and the live layer built from it for one input
 * shape. Specs validate shapes when the network is built, never in hot loops; live layers own no
 * parameters, only offsets into the network's flat {@code params}, {@code grads} and
 * {@code state} buffers.
 */
package org.sparkconv.engine.layer;
