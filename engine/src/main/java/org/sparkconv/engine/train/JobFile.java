package org.sparkconv.engine.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sparkconv.engine.io.Locations;

/**
 * A job file as read from disk, with the command line's {@code --set setting=value} overrides
 * applied: the JSON tree, where it came from (for messages), the folder relative paths resolve
 * against, and which settings the command line set (so an error in one of those names the
 * {@code --set}, not the file). Each part of the system reads its own sections from it through
 * {@link #settings}: the engine the model, data and training settings ({@link JobConfig}), the
 * Spark trainer its {@code spark} and {@code checkpoint} sections.
 */
public final class JobFile {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ObjectNode root;
  private final String source;
  private final String base;
  private final Map<String, String> overridden;

  private JobFile(ObjectNode root, String source, String base,
      Map<String, String> overridden) {
    this.root = root;
    this.source = source;
    this.base = base;
    this.overridden = Map.copyOf(overridden);
  }

  /** Reads the local file {@code path} and applies {@code overrides} ({@code setting=value}). */
  public static JobFile read(Path path, List<String> overrides) {
    String text;
    try {
      text = Files.readString(path);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("job file " + path + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read job file " + path + ": " + e, e);
    }
    return parse(text, path.toString(), path.toAbsolutePath().getParent().toString(),
        overrides);
  }

  /**
   * The job file {@code source} whose text is {@code text}, wherever it was read from;
   * relative locations inside it resolve against {@code base} (its folder: a local path or a
   * URI such as {@code hdfs://nn/jobs}).
   */
  public static JobFile parse(String text, String source, String base, List<String> overrides) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr());
    }
    if (!(tree instanceof ObjectNode root)) {
      throw new IllegalArgumentException(source + ": a job file must be a JSON object");
    }
    Map<String, String> overridden = new HashMap<>();
    for (String o : overrides) {
      overridden.put(JobSettings.override(root, o, source), o);
    }
    return new JobFile(root, source, base, overridden);
  }

  /**
   * The command line's overrides with {@code --data-dir} and {@code --output} (either may be
   * null) added as {@code data.dir} and {@code output}; local paths become absolute (they are
   * given relative to where the command runs, not to the job file), URIs stay as written.
   */
  public static List<String> overrides(List<String> sets, String dataDir, String output) {
    List<String> all = new ArrayList<>(sets);
    if (dataDir != null) {
      all.add("data.dir=" + absolute(dataDir));
    }
    if (output != null) {
      all.add("output=" + absolute(output));
    }
    return all;
  }

  private static String absolute(String location) {
    return Locations.isUri(location) ? location : Path.of(location).toAbsolutePath().toString();
  }

  /** A job given as a tree (tests, programmatic use); relative paths resolve against base. */
  public static JobFile of(ObjectNode root, String source, String base) {
    return new JobFile(root, source, base, Map.of());
  }

  /** Where the job came from, as errors name it. */
  public String source() {
    return source;
  }

  /** The folder that relative paths in the job resolve against (a local path or a URI). */
  public String base() {
    return base;
  }

  /** The top level, read strictly. */
  public JobSettings settings() {
    return new JobSettings(root, source, "", overridden);
  }
}
