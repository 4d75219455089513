/**
 * Optimizers and learning-rate schedules. An optimizer's state (momentum, Adam moments) lives in
 * flat {@code float[]} slots parallel to the network's {@code params}, so it can be saved,
 * averaged across partitions and restored as plain arrays.
 */
package org.sparkconv.engine.optim;
