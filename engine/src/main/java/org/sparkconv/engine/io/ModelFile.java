package org.sparkconv.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;

/**
 * The sparkconv model file, version 1. Little-endian throughout:
 *
 * <pre>
 * magic        4 bytes  "SPCV"
 * version      int32    1
 * spec         int32 length + UTF-8 JSON of the model spec
 * params       int32 count + count float32
 * state        int32 count + count float32
 * optimizer    int32 length + UTF-8 type ("" when absent), int64 steps,
 *              int32 slots, then per slot int32 count + count float32
 * metadata     int32 length + UTF-8 JSON (free-form: epoch, step, data position ...)
 * crc32        int32    CRC32 of every byte before it
 * </pre>
 *
 * Reading checks magic, version, every length against the bytes that remain, the counts against
 * the spec's parameter layout, and the CRC, and names the file and what is wrong. Writing to a
 * path goes through a temporary file that is synced and then atomically renamed, so a reader
 * never sees a partial file and a failed write leaves the previous file intact. No Java
 * serialization is involved.
 */
public record ModelFile(NetworkSpec spec, float[] params, float[] state, String optimizerType,
    long optimizerSteps, float[][] optimizerSlots, String metadata) {

  public static final int VERSION = 1;
  private static final byte[] MAGIC = {'S', 'P', 'C', 'V'};

  /** A model file of a network's spec, parameters and state (no optimizer state). */
  public static ModelFile of(Network net) {
    return new ModelFile(net.spec(), net.params().clone(), net.state().clone(), "", 0,
        new float[0][], "{}");
  }

  /** Builds the network this file describes, with its parameters and state. */
  public Network toNetwork() {
    Network net = Network.build(spec);
    System.arraycopy(params, 0, net.params(), 0, params.length);
    System.arraycopy(state, 0, net.state(), 0, state.length);
    return net;
  }

  /** The encoded bytes. */
  public byte[] encode() {
    byte[] specBytes = SpecJson.write(spec).getBytes(StandardCharsets.UTF_8);
    byte[] typeBytes = optimizerType.getBytes(StandardCharsets.UTF_8);
    byte[] metaBytes = metadata.getBytes(StandardCharsets.UTF_8);
    long size = 4 + 4 + 4 + specBytes.length + 4 + 4L * params.length + 4 + 4L * state.length
        + 4 + typeBytes.length + 8 + 4 + 4 + metaBytes.length + 4;
    for (float[] slot : optimizerSlots) {
      size += 4 + 4L * slot.length;
    }
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("model of " + size + " bytes is too large for one file");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(VERSION);
    b.putInt(specBytes.length).put(specBytes);
    putFloats(b, params);
    putFloats(b, state);
    b.putInt(typeBytes.length).put(typeBytes).putLong(optimizerSteps);
    b.putInt(optimizerSlots.length);
    for (float[] slot : optimizerSlots) {
      putFloats(b, slot);
    }
    b.putInt(metaBytes.length).put(metaBytes);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  private static void putFloats(ByteBuffer b, float[] values) {
    b.putInt(values.length);
    b.asFloatBuffer().put(values);
    b.position(b.position() + 4 * values.length);
  }

  /**
   * Writes atomically: to a temporary file beside {@code path}, forced to disk, then renamed
   * over {@code path}. On failure the temporary file is removed and {@code path} is untouched.
   */
  public void save(Path path) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap(encode());
        while (bytes.hasRemaining()) {
          ch.write(bytes);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Reads and fully validates the model file at {@code path}. */
  public static ModelFile load(Path path) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("model file " + path + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model file " + path + ": " + e, e);
    }
    return decode(bytes, path.toString());
  }

  /** Decodes and validates; {@code name} identifies the bytes in errors. */
  public static ModelFile decode(byte[] bytes, String name) {
    Reader r = new Reader(bytes, name);
    r.need(8, "the header");
    for (int i = 0; i < 4; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw r.error(0, "not a sparkconv model file (magic is not \"SPCV\")");
      }
    }
    r.b.position(4);
    int version = r.b.getInt();
    if (version != VERSION) {
      throw r.error(4, "format version " + version + " is not supported (this build reads"
          + " version " + VERSION + ")");
    }
    if (bytes.length < 12) {
      throw r.error(bytes.length, "file is truncated after its header");
    }
    long storedCrc = Integer.toUnsignedLong(ByteBuffer.wrap(bytes, bytes.length - 4, 4)
        .order(ByteOrder.LITTLE_ENDIAN).getInt());
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - 4);
    String specJson = r.string("the model spec");
    float[] params = r.floats("parameters");
    float[] state = r.floats("state");
    String optimizerType = r.string("the optimizer type");
    r.need(12, "the optimizer step count and slot count");
    long steps = r.b.getLong();
    int slotCount = r.b.getInt();
    if (slotCount < 0 || slotCount > 16) {
      throw r.error(r.b.position() - 4, "implausible optimizer slot count " + slotCount);
    }
    float[][] slots = new float[slotCount][];
    for (int i = 0; i < slotCount; i++) {
      slots[i] = r.floats("optimizer slot " + i);
    }
    String metadata = r.string("the metadata");
    if (r.b.remaining() != 4) {
      throw r.error(r.b.position(), (r.b.remaining() < 4 ? "file is truncated: " : "")
          + r.b.remaining() + " bytes remain where exactly the 4-byte CRC32 was expected");
    }
    if (crc.getValue() != storedCrc) {
      throw r.error(bytes.length - 4, String.format("CRC32 mismatch (stored %08x, computed %08x):"
          + " the file is corrupt", storedCrc, crc.getValue()));
    }
    NetworkSpec spec;
    try {
      spec = SpecJson.parse(specJson, name + " (embedded model spec)");
    } catch (SpecException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    Network shapeCheck = Network.build(spec);
    if (shapeCheck.params().length != params.length || shapeCheck.state().length != state.length) {
      throw new IllegalArgumentException(name + ": holds " + params.length + " parameters and "
          + state.length + " state values but its model spec needs "
          + shapeCheck.params().length + " and " + shapeCheck.state().length);
    }
    for (float[] slot : slots) {
      if (slot.length != params.length) {
        throw new IllegalArgumentException(name + ": an optimizer slot holds " + slot.length
            + " values but the model has " + params.length + " parameters");
      }
    }
    return new ModelFile(spec, params, state, optimizerType, steps, slots, metadata);
  }

  /** Bounds-checked little-endian reading with errors that name the file and offset. */
  private static final class Reader {
    final ByteBuffer b;
    final String name;

    Reader(byte[] bytes, String name) {
      this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      this.name = name;
    }

    IllegalArgumentException error(long offset, String detail) {
      return new IllegalArgumentException(name + " at byte " + offset + ": " + detail);
    }

    void need(long n, String what) {
      // The last 4 bytes are the CRC; content may not run into them.
      if (n > b.remaining() - 4L) {
        throw error(b.position(), "file is truncated: " + what + " needs " + n + " bytes, "
            + Math.max(b.remaining() - 4, 0) + " remain");
      }
    }

    int count(String what, int unit) {
      need(4, "the length of " + what);
      int n = b.getInt();
      if (n < 0) {
        throw error(b.position() - 4, "negative length " + n + " for " + what);
      }
      need((long) n * unit, what);
      return n;
    }

    String string(String what) {
      int n = count(what, 1);
      String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
      b.position(b.position() + n);
      return s;
    }

    float[] floats(String what) {
      int n = count(what, 4);
      float[] values = new float[n];
      b.asFloatBuffer().get(values);
      b.position(b.position() + 4 * n);
      return values;
    }
  }
}
