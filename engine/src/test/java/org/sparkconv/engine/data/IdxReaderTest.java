package org.sparkconv.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.tensor.Shape;

class IdxReaderTest {

  @TempDir
  Path dir;

  static byte[] images(int magic, int count, int rows, int cols, int pixelBytes)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(magic);
    out.writeInt(count);
    out.writeInt(rows);
    out.writeInt(cols);
    for (int i = 0; i < pixelBytes; i++) {
      out.writeByte(i * 7);
    }
    return bytes.toByteArray();
  }

  static byte[] labels(int magic, int count, int... values) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(magic);
    out.writeInt(count);
    for (int v : values) {
      out.writeByte(v);
    }
    return bytes.toByteArray();
  }

  private Path write(String name, byte[] content, boolean gzip) throws IOException {
    Path p = dir.resolve(name);
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(p))
        : Files.newOutputStream(p)) {
      out.write(content);
    }
    return p;
  }

  @Test
  void readsPlainAndGzippedFilesIdentically() throws IOException {
    byte[] img = images(0x803, 3, 2, 4, 24);
    byte[] lab = labels(0x801, 3, 0, 9, 4);
    ImageSet plain = IdxReader.read(write("i", img, false), write("l", lab, false), 10);
    ImageSet gz = IdxReader.read(write("i.gz", img, true), write("l.gz", lab, true), 10);
    assertEquals(new Shape(1, 2, 4), plain.shape());
    assertEquals(3, plain.count());
    assertArrayEquals(new int[] {0, 9, 4}, plain.labels());
    assertArrayEquals(Arrays.copyOfRange(img, 16, 40), plain.pixels());
    assertArrayEquals(plain.pixels(), gz.pixels());
    assertArrayEquals(plain.labels(), gz.labels());
    assertEquals(7 * 5 & 0xFF, plain.pixel(0, 5));
  }

  @Test
  void wrongMagicNamesFileAndOffset() throws IOException {
    Path img = write("bad-images", images(0x801, 3, 2, 4, 24), false);
    Path lab = write("labels", labels(0x801, 3, 0, 1, 2), false);
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> IdxReader.read(img, lab, 10));
    assertTrue(e.getMessage().startsWith(img + " at byte 0: magic number 0x00000801"),
        e.getMessage());
  }

  @Test
  void truncatedImagesSayHowMuchIsMissing() throws IOException {
    Path img = write("short.gz", images(0x803, 3, 2, 4, 20), true);
    Path lab = write("labels", labels(0x801, 3, 0, 1, 2), false);
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> IdxReader.read(img, lab, 10));
    assertTrue(e.getMessage().contains(img.toString()) && e.getMessage().contains("truncated")
        && e.getMessage().contains("expected 24 bytes") && e.getMessage().contains("only 20"),
        e.getMessage());
    Path header = write("header-only", new byte[] {0, 0, 8, 3, 0, 0}, false);
    e = assertThrows(DataFormatException.class, () -> IdxReader.read(header, lab, 10));
    assertTrue(e.getMessage().contains("truncated inside its header"), e.getMessage());
  }

  @Test
  void labelOutOfRangeAndCountMismatch() throws IOException {
    Path img = write("images", images(0x803, 3, 2, 4, 24), false);
    Path bad = write("labels", labels(0x801, 3, 0, 12, 2), false);
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> IdxReader.read(img, bad, 10));
    assertTrue(e.getMessage().startsWith(bad + " at byte 9: label 12 of image 1"),
        e.getMessage());
    Path fewer = write("fewer", labels(0x801, 2, 0, 1), false);
    e = assertThrows(DataFormatException.class, () -> IdxReader.read(img, fewer, 10));
    assertTrue(e.getMessage().contains("holds 2 labels but") && e.getMessage().contains("3 images"),
        e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> IdxReader.read(dir.resolve("nope"), fewer, 10));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void cifarRecordsAreSplitIntoLabelsAndPlanes() throws IOException {
    byte[] records = new byte[2 * 3073];
    records[0] = 3;
    records[3073] = 9;
    for (int i = 0; i < 3072; i++) {
      records[1 + i] = (byte) i;
      records[3074 + i] = (byte) (255 - i);
    }
    Path a = write("data_batch_1.bin", records, false);
    Path b = write("data_batch_2.bin", Arrays.copyOf(records, 3073), false);
    ImageSet set = CifarReader.read(List.of(a, b), 10);
    assertEquals(3, set.count());
    assertArrayEquals(new int[] {3, 9, 3}, set.labels());
    assertEquals(new Shape(3, 32, 32), set.shape());
    assertEquals(1024 & 0xFF, set.pixel(0, 1024), "green plane starts at 1024");
    assertEquals(255 - 5, set.pixel(1, 5));
    Path cut = write("cut.bin", Arrays.copyOf(records, 3073 + 100), false);
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> CifarReader.read(List.of(cut), 10));
    assertTrue(e.getMessage().startsWith(cut + " at byte 3073") && e.getMessage().contains(
        "not a whole number of 3073-byte records"), e.getMessage());
    records[3073] = 10;
    Path badLabel = write("bad.bin", records, false);
    e = assertThrows(DataFormatException.class, () -> CifarReader.read(List.of(badLabel), 10));
    assertTrue(e.getMessage().contains("label 10 of record 1"), e.getMessage());
  }
}
