package org.sparkconv.spark.data;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How image folders name classes: a file's label is the folder it sits in, matched against the
 * model's class names, either as written or in folder-safe form (every character outside
 * {@code [A-Za-z0-9._-]} replaced by {@code _}, since "T-shirt/top" cannot be a folder).
 */
public final class ClassFolders {

  private ClassFolders() {}

  /** Folder name -> class index, for both spellings of every class name. */
  public static Map<String, Integer> index(List<String> classNames) {
    Map<String, Integer> index = new HashMap<>();
    for (int k = 0; k < classNames.size(); k++) {
      index.put(classNames.get(k), k);
      index.putIfAbsent(safeFolderName(classNames.get(k)), k);
    }
    return index;
  }

  /** The name of the folder a file sits in. */
  public static String folderOf(String origin) {
    String trimmed = origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
    int slash = trimmed.lastIndexOf('/');
    int previous = trimmed.lastIndexOf('/', slash - 1);
    return URLDecoder.decode(trimmed.substring(previous + 1, slash), StandardCharsets.UTF_8);
  }

  /** A class name as a folder name: characters outside [A-Za-z0-9._-] become '_'. */
  public static String safeFolderName(String className) {
    return className.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
