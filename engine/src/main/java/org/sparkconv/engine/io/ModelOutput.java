package org.sparkconv.engine.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rules for where a trained model may be written, checked before training starts so that
 * hours of training are never lost to a bad path and no good file is replaced by accident: the
 * folder must be writable; an existing model file is replaced only when asked
 * ({@code --overwrite}); an existing file that is not a model (a spec, a data file) never is.
 */
public final class ModelOutput {

  private ModelOutput() {}

  /**
   * Fails unless a model may be written to {@code location}, given whether it {@code exists},
   * the first bytes of what is there ({@code head}, may be short) and {@code overwrite}.
   */
  public static void requireReplaceable(String location, boolean exists, boolean isDirectory,
      byte[] head, boolean overwrite) {
    if (!exists) {
      return;
    }
    if (isDirectory) {
      throw new IllegalArgumentException("output " + location + " is a directory; give the"
          + " path of a model file (e.g. " + location + "/model.spcv)");
    }
    if (!ModelFile.hasMagic(head)) {
      throw new IllegalArgumentException("output " + location + " exists and is not a sparkconv"
          + " model file; it is left as it is: choose another --output");
    }
    if (!overwrite) {
      throw new IllegalArgumentException("output " + location + " holds a model already; pass"
          + " --overwrite to replace it, or choose another --output");
    }
  }

  /** The checks above for a file on the local disk, plus that its folder is writable. */
  public static void requireWritableLocal(Path path, boolean overwrite) {
    boolean exists = Files.exists(path);
    byte[] head = new byte[0];
    if (exists && !Files.isDirectory(path)) {
      try (InputStream in = Files.newInputStream(path)) {
        head = in.readNBytes(4);
      } catch (IOException e) {
        throw new IllegalArgumentException("output " + path + " exists and cannot be read: " + e);
      }
    }
    requireReplaceable(path.toString(), exists, Files.isDirectory(path), head, overwrite);
    Path dir = path.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Files.delete(Files.createTempFile(dir, ".sparkconv-probe-", ".tmp"));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("output folder " + dir + " is not writable (" + e
          + "); choose another --output before training, not after");
    }
  }
}
