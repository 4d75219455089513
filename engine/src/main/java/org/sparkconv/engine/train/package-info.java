/** Training and evaluation on one JVM: the trainer loop, the evaluator, progress reporting. */
package org.sparkconv.engine.train;
