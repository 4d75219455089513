package org.sparkconv.spark.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.wire.ImageRow;

/**
 * Folders of PNG/JPEG files read on the executors with Spark's {@code binaryFile} source and
 * decoded to a model's input. Each file becomes an {@link ImageRow}: its path as id, the class
 * its folder names ({@link ClassFolders}; -1 when none does), its pixels, or why it could not be
 * decoded.
 */
public final class ImageFiles {

  private ImageFiles() {}

  /** Every file under {@code root}, recursively, decoded for {@code target}. */
  public static JavaRDD<ImageRow> read(SparkSession spark, String root, Shape target,
      List<String> classNames) {
    Map<String, Integer> index = ClassFolders.index(classNames);
    Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(root).select("path", "content");
    return files.javaRDD().map(r -> {
      String origin = r.getString(0);
      int label = index.getOrDefault(ClassFolders.classFolderOf(origin, root), -1);
      try {
        return new ImageRow(origin, label,
            ImageDecoding.decode((byte[]) r.get(1), origin, target), null);
      } catch (IllegalArgumentException e) {
        return ImageRow.failed(origin, label, e.getMessage());
      }
    });
  }

  /**
   * The files under {@code root} that Spark's file sources pass over without a word (names
   * starting with {@code _} or {@code .}, and anything inside such folders) and the empty ones
   * (which cannot be images): each counted, with at most {@code limit} names.
   */
  public static Ignored ignored(Configuration conf, String root, int limit) throws IOException {
    Path dir = HadoopFiles.path(root);
    FileSystem fs = dir.getFileSystem(conf);
    List<String> names = new ArrayList<>();
    List<String> empty = new ArrayList<>();
    long count = 0;
    long emptyCount = 0;
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
    while (files.hasNext()) {
      LocatedFileStatus status = files.next();
      Path p = status.getPath();
      String relative = p.toUri().getPath().substring(dir.toUri().getPath().length());
      boolean hidden = false;
      for (String part : relative.split("/")) {
        hidden |= part.startsWith("_") || part.startsWith(".");
      }
      String name = relative.startsWith("/") ? relative.substring(1) : relative;
      if (hidden) {
        count++;
        if (names.size() < limit) {
          names.add(name);
        }
      } else if (status.getLen() == 0) {
        emptyCount++;
        if (empty.size() < limit) {
          empty.add(name);
        }
      }
    }
    return new Ignored(count, names, emptyCount, empty);
  }

  /** Files Spark skips and empty files, counted, with the first few names of each. */
  public record Ignored(long count, List<String> names, long emptyCount, List<String> empty) {

    /** A line for the log, or "" when there is nothing to say. */
    public String describe(String root) {
      String hidden = count == 0 ? "" : count + " files under " + root + " are skipped because"
          + " their names (or a folder's) start with '_' or '.': " + String.join(", ", names)
          + (count > names.size() ? ", ..." : "");
      String zero = emptyCount == 0 ? "" : emptyCount + " files under " + root + " are empty: "
          + String.join(", ", empty) + (emptyCount > empty.size() ? ", ..." : "");
      return hidden.isEmpty() || zero.isEmpty() ? hidden + zero : hidden + "; " + zero;
    }
  }

  /** The sorted names of the folders that hold files under {@code root} (implicit classes). */
  public static List<String> folderClasses(SparkSession spark, String root) {
    return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(root)
        .select("path").javaRDD().map(r -> ClassFolders.classFolderOf(r.getString(0), root))
        .filter(f -> !f.isEmpty()).distinct().collect().stream().sorted().toList();
  }
}
