/**
 * Checkpoints on any Hadoop FileSystem: the store (atomic writes, retention, newest valid one),
 * the job fingerprint that a resumed run must match, and what a training run does about
 * checkpoints (when to write, where to resume).
 */
package org.sparkconv.spark.checkpoint;
