package org.sparkconv.spark.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.tensor.Shape;

/** A decompression bomb is refused from its header, before a pixel is decoded. */
class ImageDecodingTest {

  /** A PNG whose header declares {@code side} x {@code side} pixels, with a token body. */
  static byte[] pngDeclaring(int side) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
    DataOutputStream header = new DataOutputStream(ihdr);
    header.writeInt(side);
    header.writeInt(side);
    header.write(new byte[] {8, 0, 0, 0, 0}); // 8-bit grey, deflate, no filter, no interlace
    chunk(out, "IHDR", ihdr.toByteArray());
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(out, "IEND", new byte[0]);
    return bytes.toByteArray();
  }

  private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    out.writeInt(data.length);
    out.write(name);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeInt((int) crc.getValue());
  }

  @Test
  void aPngDeclaring40000SquaredPixelsIsRefusedUndecoded() throws IOException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImageDecoding.decode(pngDeclaring(40000), "bomb.png", new Shape(1, 28, 28)));
    assertTrue(e.getMessage().startsWith("bomb.png: declares 40000x40000 pixels")
        && e.getMessage().contains("not decoded"), e.getMessage());
  }
}
