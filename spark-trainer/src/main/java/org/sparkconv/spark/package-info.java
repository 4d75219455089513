/**
 * Training and scoring sparkconv models on Spark. A round flows through the sub-packages in
 * order: {@code job} reads the command line and the job file; {@code data} reads the images and
 * caches them as shards; {@code train} runs the driver loop and its synchronisation rule;
 * {@code worker} is what runs in each task; {@code wire} holds everything that crosses the
 * network; {@code checkpoint} saves and resumes; {@code score} applies a trained model.
 */
package org.sparkconv.spark;
