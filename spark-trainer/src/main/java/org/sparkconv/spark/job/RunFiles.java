package org.sparkconv.spark.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.sparkconv.engine.io.AtomicFiles;
import org.sparkconv.engine.io.Locations;
import org.sparkconv.spark.data.HadoopFiles;

/**
 * Files a run writes (the model, and beside it metrics and report): on the driver's disk for a
 * plain path, through Hadoop for a URI; atomically either way, so a reader never sees half.
 */
final class RunFiles {

  private RunFiles() {}

  static void write(String location, String text, Configuration hadoop) throws IOException {
    write(location, text.getBytes(StandardCharsets.UTF_8), hadoop);
  }

  static void write(String location, byte[] bytes, Configuration hadoop) throws IOException {
    if (Locations.isUri(location)) {
      HadoopFiles.writeAtomically(HadoopFiles.path(location), bytes, hadoop);
    } else {
      AtomicFiles.write(Path.of(location), bytes);
    }
  }
}
