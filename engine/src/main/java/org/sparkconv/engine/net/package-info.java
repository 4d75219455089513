/**
 * Networks: the spec a model file describes ({@link org.sparkconv.engine.net.NetworkSpec}), its
 * JSON form, the flat parameter layout, and the sequential {@link org.sparkconv.engine.net.Network}
 * that owns the three flat buffers {@code params}, {@code grads} and {@code state}.
 */
package org.sparkconv.engine.net;
