package org.sparkconv.spark.score;

import java.io.IOException;
import java.io.PrintStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.spark.checkpoint.CheckpointStore;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.wire.TrainedModel;

/** Finds the model to score with, on any Hadoop FileSystem. */
public final class ModelLoader {

  private ModelLoader() {}

  /**
   * The model at {@code location}: a model file, or a directory whose newest valid checkpoint
   * is used (corrupt newer ones are reported and skipped).
   */
  public static TrainedModel load(String location, Configuration conf, PrintStream log)
      throws IOException {
    Path path = HadoopFiles.path(location);
    FileSystem fs = path.getFileSystem(conf);
    if (!fs.exists(path)) {
      throw new IllegalArgumentException("model " + location + " does not exist");
    }
    if (fs.getFileStatus(path).isDirectory()) {
      CheckpointStore.Loaded loaded = new CheckpointStore(location, Integer.MAX_VALUE, conf, log)
          .newestValid().orElseThrow(() -> new IllegalArgumentException(location
              + " holds no valid checkpoint (ckpt-*.spcv)"));
      log.println("scoring with checkpoint " + loaded.name());
      return TrainedModel.of(loaded.model(), loaded.name());
    }
    return TrainedModel.of(ModelFile.decode(HadoopFiles.readAll(path, conf), location),
        location);
  }
}
