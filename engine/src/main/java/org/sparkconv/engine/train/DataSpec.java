package org.sparkconv.engine.train;

import java.util.List;
import java.util.function.Function;
import org.sparkconv.engine.data.CifarReader;
import org.sparkconv.engine.data.DataSource;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;

/**
 * Where a job's images are, one record per format, with exactly the fields that format has.
 * Locations are local paths (already resolved against the job file's folder) or URIs such as
 * {@code hdfs://namenode/data/x.gz}, kept as written. IDX and CIFAR files are read whole by one
 * JVM ({@link DriverRead}); image folders and Parquet tables are read by the Spark trainer's
 * executors.
 */
public sealed interface DataSpec extends java.io.Serializable {

  /** Classes the labels range over. */
  int classes();

  /** The format's name as a job file writes it. */
  String format();

  /** Where the training split is (for messages and job fingerprints). */
  String trainLocation();

  /** Every file or folder the job reads, to check before anything starts. */
  java.util.List<String> locations();

  /** A format that one JVM reads whole: the single-JVM trainer and the Spark driver. */
  sealed interface DriverRead extends DataSpec {

    /** The training split, opening each location with {@code open}. */
    ImageSet readTrain(Function<String, DataSource> open);

    /** The test split, opening each location with {@code open}. */
    ImageSet readTest(Function<String, DataSource> open);

    /** The training split from local files. */
    default ImageSet readTrain() {
      return readTrain(DataSource::local);
    }

    /** The test split from local files. */
    default ImageSet readTest() {
      return readTest(DataSource::local);
    }
  }

  /** Four IDX files (MNIST, Fashion-MNIST), optionally gzipped. */
  record Idx(int classes, String trainImages, String trainLabels, String testImages,
      String testLabels) implements DriverRead {

    @Override
    public String format() {
      return "idx";
    }

    @Override
    public String trainLocation() {
      return trainImages;
    }

    @Override
    public java.util.List<String> locations() {
      return java.util.List.of(trainImages, trainLabels, testImages, testLabels);
    }

    @Override
    public ImageSet readTrain(Function<String, DataSource> open) {
      return IdxReader.read(open.apply(trainImages), open.apply(trainLabels), classes);
    }

    @Override
    public ImageSet readTest(Function<String, DataSource> open) {
      return IdxReader.read(open.apply(testImages), open.apply(testLabels), classes);
    }
  }

  /** CIFAR-10 binary batch files. */
  record Cifar(int classes, List<String> trainFiles, List<String> testFiles)
      implements DriverRead {

    public Cifar {
      trainFiles = List.copyOf(trainFiles);
      testFiles = List.copyOf(testFiles);
    }

    @Override
    public String format() {
      return "cifar";
    }

    @Override
    public String trainLocation() {
      return String.join(",", trainFiles);
    }

    @Override
    public java.util.List<String> locations() {
      java.util.List<String> all = new java.util.ArrayList<>(trainFiles);
      all.addAll(testFiles);
      return all;
    }

    @Override
    public ImageSet readTrain(Function<String, DataSource> open) {
      return CifarReader.readSources(trainFiles.stream().map(open).toList(), classes);
    }

    @Override
    public ImageSet readTest(Function<String, DataSource> open) {
      return CifarReader.readSources(testFiles.stream().map(open).toList(), classes);
    }
  }

  /** PNG/JPEG files under one sub-folder per class. */
  record ImageFolder(int classes, String trainPath, String testPath) implements DataSpec {

    @Override
    public String format() {
      return "image_folder";
    }

    @Override
    public String trainLocation() {
      return trainPath;
    }

    @Override
    public java.util.List<String> locations() {
      return java.util.stream.Stream.of(trainPath, testPath).filter(java.util.Objects::nonNull)
          .toList();
    }
  }

  /**
   * Parquet tables with an integral label column and an image column: binary (8-bit CHW) or an
   * array of numbers 0-255, or 0-1 when {@code unitRange}.
   */
  record Parquet(int classes, String trainPath, String testPath, String imageColumn,
      String labelColumn, boolean unitRange) implements DataSpec {

    @Override
    public String format() {
      return "parquet";
    }

    @Override
    public String trainLocation() {
      return trainPath;
    }

    @Override
    public java.util.List<String> locations() {
      return java.util.stream.Stream.of(trainPath, testPath).filter(java.util.Objects::nonNull)
          .toList();
    }
  }
}
