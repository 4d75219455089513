package org.sparkconv.engine.io;

/** How a location the user gives is told apart: a Hadoop-style URI or a plain path. */
public final class Locations {

  private Locations() {}

  /** True for {@code scheme://...} (hdfs://, s3a://, file://); false for a plain path. */
  public static boolean isUri(String location) {
    int colon = location.indexOf("://");
    return colon > 0 && location.substring(0, colon).chars()
        .allMatch(c -> Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.');
  }
}
