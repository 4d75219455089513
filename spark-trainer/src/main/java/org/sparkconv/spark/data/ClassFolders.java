package org.sparkconv.spark.data;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How image folders name classes: a file's label is the folder directly under the root that
 * holds it (however deep the file sits below), matched against the model's class names as
 * written, in folder-safe form (every character outside {@code [A-Za-z0-9._-]} replaced by
 * {@code _}, since "T-shirt/top" cannot be a folder), or as the class index ("0", "1", ...).
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
    for (int k = 0; k < classNames.size(); k++) {
      index.putIfAbsent(Integer.toString(k), k);
    }
    return index;
  }

  /**
   * The folder directly under {@code root} that holds the file {@code origin} (a URI as Spark
   * lists it), or "" for a file in the root itself.
   */
  public static String classFolderOf(String origin, String root) {
    String rootPath = URI.create(root.replace(" ", "%20")).getPath();
    String prefix = rootPath.endsWith("/") ? rootPath : rootPath + "/";
    String path = URI.create(origin).getPath();
    int at = path.indexOf(prefix);
    String rest = at < 0 ? folderOf(origin) + "/x" : path.substring(at + prefix.length());
    int slash = rest.indexOf('/');
    return slash < 0 ? "" : rest.substring(0, slash);
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
