/**
 * The command-line entry points (training, scoring, a Spark latency benchmark) and what they
 * read: typed job files and the Spark configuration every sparkconv job starts from.
 */
package org.sparkconv.spark.job;
