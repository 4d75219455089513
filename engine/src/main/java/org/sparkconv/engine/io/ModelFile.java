package org.sparkconv.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.ParamLayout;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;

/**
 * The sparkconv model file, version 2. Little-endian throughout:
 *
 * <pre>
 * magic        4 bytes  "SPCV"
 * version      int32    2
 * spec         int32 length + UTF-8 JSON of the model spec (a graph: layers with names and
 *              inputs where they are not a chain's)
 * params       int32 count + count float32
 * state        int32 count + count float32
 * optimizer    int32 length + UTF-8 type ("" when absent), int64 steps,
 *              int32 slots, then per slot int32 count + count float32
 * metadata     int32 length + UTF-8 JSON ({@link ModelMetadata}: normalisation, position ...)
 * crc32        int32    CRC32 of every byte before it
 * </pre>
 *
 * Reading checks magic, version, every length against the bytes that remain, the counts against
 * the spec's parameter layout, and the CRC, and names the file and what is wrong. Version 1
 * files (the same layout; their specs are always chains) are read as they are. Writing to a
 * path goes through a temporary file that is synced and then atomically renamed, so a reader
 * never sees a partial file and a failed write leaves the previous file intact. No Java
 * serialization is involved.
 */
public record ModelFile(NetworkSpec spec, float[] params, float[] state, String optimizerType,
    long optimizerSteps, float[][] optimizerSlots, ModelMetadata metadata) {

  public static final int VERSION = 2;
  /** The oldest version this build reads. */
  public static final int OLDEST_READABLE = 1;
  private static final byte[] MAGIC = {'S', 'P', 'C', 'V'};

  /** Whether {@code head} starts like a sparkconv model file (its magic). */
  public static boolean hasMagic(byte[] head) {
    if (head.length < MAGIC.length) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (head[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  /** A model file of a network's spec, parameters and state (no optimizer state). */
  public static ModelFile of(Network net) {
    return new ModelFile(net.spec(), net.params().clone(), net.state().clone(), "", 0,
        new float[0][], ModelMetadata.NONE);
  }

  /**
   * A model file of a network being trained and its optimizer's state, viewing (not copying)
   * their buffers: encode or save it before the next step.
   */
  public static ModelFile of(Network net, Optimizer optimizer, ModelMetadata metadata) {
    return new ModelFile(net.spec(), net.params(), net.state(), optimizer.spec().type()
        .toString(), optimizer.steps(), optimizer.slots(), metadata);
  }

  /**
   * Puts this file's parameters, state and optimizer state into {@code net} and
   * {@code optimizer} (to resume training); fails, naming this file {@code name}, when they are
   * not of the same model and optimizer.
   */
  public void restore(Network net, Optimizer optimizer, String name) {
    try {
      net.load(params, state);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(name + ": " + e.getMessage(), e);
    }
    if (optimizerSlots.length != optimizer.slots().length
        || !optimizerType.equals(optimizer.spec().type().toString())) {
      throw new IllegalStateException(name + " holds " + optimizerType + " state with "
          + optimizerSlots.length + " slots; the job's optimizer is " + optimizer.spec().type()
          + " with " + optimizer.slots().length);
    }
    for (int s = 0; s < optimizerSlots.length; s++) {
      System.arraycopy(optimizerSlots[s], 0, optimizer.slots()[s], 0, params.length);
    }
    optimizer.steps(optimizerSteps);
  }

  /** The same file with {@code metadata} in place of its own. */
  public ModelFile withMetadata(ModelMetadata metadata) {
    return new ModelFile(spec, params, state, optimizerType, optimizerSteps, optimizerSlots,
        metadata);
  }

  /** Builds the network this file describes, with its parameters and state. */
  public Network toNetwork() {
    Network net = Network.build(spec);
    net.load(params, state);
    return net;
  }

  /** The encoded bytes. */
  public byte[] encode() {
    byte[] specBytes = SpecJson.write(spec).getBytes(StandardCharsets.UTF_8);
    byte[] typeBytes = optimizerType.getBytes(StandardCharsets.UTF_8);
    byte[] metaBytes = metadata.toJson().getBytes(StandardCharsets.UTF_8);
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
   * Writes atomically ({@link AtomicFiles}): a reader sees the old file or the whole new one,
   * and a failed write leaves {@code path} untouched.
   */
  public void save(Path path) throws IOException {
    AtomicFiles.write(path, encode());
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
    if (version < OLDEST_READABLE || version > VERSION) {
      throw r.error(4, "format version " + version + " is not supported (this build reads"
          + " versions " + OLDEST_READABLE + " to " + VERSION + ")");
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
    ParamLayout layout;
    try {
      layout = ParamLayout.of(spec);
    } catch (SpecException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (layout.paramCount() != params.length || layout.stateCount() != state.length) {
      throw new IllegalArgumentException(name + ": holds " + params.length + " parameters and "
          + state.length + " state values but its model spec needs " + layout.paramCount()
          + " and " + layout.stateCount());
    }
    for (float[] slot : slots) {
      if (slot.length != params.length) {
        throw new IllegalArgumentException(name + ": an optimizer slot holds " + slot.length
            + " values but the model has " + params.length + " parameters");
      }
    }
    return new ModelFile(spec, params, state, optimizerType, steps, slots,
        ModelMetadata.parse(metadata, name));
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
