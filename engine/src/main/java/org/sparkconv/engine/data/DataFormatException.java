package org.sparkconv.engine.data;

/** A data file that is not what it claims to be: names the file, the byte offset and why. */
public final class DataFormatException extends IllegalArgumentException {

  public DataFormatException(String file, long offset, String detail) {
    super(file + " at byte " + offset + ": " + detail);
  }
}
