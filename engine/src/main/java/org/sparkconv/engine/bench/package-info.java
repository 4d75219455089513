/** Command-line benchmarks of the engine (measurements, never tests). */
package org.sparkconv.engine.bench;
