package org.sparkconv.spark.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.sparkconv.engine.io.AtomicFiles;
import org.sparkconv.engine.io.Locations;
import org.sparkconv.spark.data.HadoopFiles;

/**
 * Text files a run writes beside its output (metrics, report): on the driver's disk for a
 * plain path, through Hadoop for a URI; atomically either way, so a reader never sees half.
 */
final class RunFiles {

  private RunFiles() {}

  static void write(String location, String text, Configuration hadoop) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (Locations.isUri(location)) {
      HadoopFiles.writeAtomically(HadoopFiles.path(location), bytes, hadoop);
    } else {
      AtomicFiles.write(Path.of(location), bytes);
    }
  }
}
