/**
 * Image data sets: readers for IDX (MNIST, Fashion-MNIST) and CIFAR-10 binary files that
 * validate as they stream, per-channel normalisation, and seeded shuffling, minibatching and
 * augmentation.
 */
package org.sparkconv.engine.data;
