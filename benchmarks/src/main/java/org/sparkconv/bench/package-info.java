/**
 * JMH benchmarks of the engine (measurements, never tests): {@link
 * org.sparkconv.bench.GemmBenchmark} compares the GEMM implementations on square and
 * convolution-shaped products; {@link org.sparkconv.bench.StepBenchmarks} times whole training
 * and inference steps. Run {@code java -jar benchmarks/target/benchmarks.jar -h}.
 */
package org.sparkconv.bench;
